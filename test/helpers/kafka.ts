import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port';

/**
 * A real Apache Kafka broker for tests, no Docker, no mocks: `startKafka()` formats a private
 * single-node KRaft cluster (one JVM that is both broker and controller) in a temp folder, starts it
 * on two free loopback ports and resolves once it serves clients. Each call is its own cluster;
 * `stop()` removes it.
 *
 * The jars come from `.ci/kafka.sh libs` (Maven Central, cached): SUBHUB_KAFKA_LIBS names their
 * folder, else the script's default cache folder is used when complete. Java 17 comes from
 * JAVA_HOME or PATH.
 *
 * Every broker has a watchdog process that kills it and removes its folder when the process that
 * started it dies (a crashed or force-exited jest worker leaves no JVM behind).
 */
export interface KafkaBroker {
  /** Bootstrap servers for clients: `127.0.0.1:<port>`. */
  brokers: string;
  /** Kills the broker (its data is thrown away) and removes its folder. */
  stop(): Promise<void>;
  /** Stops the broker (SIGTERM: controlled shutdown, logs flushed) and resolves once the JVM is gone; data kept. */
  halt(): Promise<void>;
  /** Starts the broker again on the same ports and data, halting it first if it runs; resolves when it serves clients. */
  restart(): Promise<void>;
  /** SIGKILLs the JVM (a crash, nothing flushed by Kafka) and resolves once it is gone. */
  kill(): Promise<void>;
  /** Creates a topic (replication factor 1) through Kafka's own TopicCommand; rejects if it exists. */
  createTopic(name: string, partitions: number): Promise<void>;
  /** The last lines of the broker's log, for failure messages. */
  log(): string;
  /** The JVM's process id while it runs (the benchmarks read its CPU time). */
  pid(): number | undefined;
}

export const KAFKA_VERSION = '4.4.0';
const READY_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 60_000;
const LOG_TAIL_LINES = 40;
const run = promisify(execFile);

/**
 * The broker's JVM: a 128 MB initial heap saves the first resizes; G1 as Kafka's own scripts use
 * (their 20 ms pause target changed nothing measurable here, so it is left out). Both compilers stay
 * on: the client compiler alone starts ~35 % faster but would slow tests that push volume. Tests
 * never need more than 512 MB; ~320-350 MB resident.
 */
const BROKER_JVM = ['-Xms128m', '-Xmx512m', '-XX:+UseG1GC', '-Djava.awt.headless=true'];
/**
 * Short-lived tools (storage format, topic creation) spend their life starting up: the client
 * compiler only and a serial collector start them faster; they do no sustained work.
 */
const TOOL_JVM = ['-Xmx256m', '-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC', '-Xshare:auto'];

/** The folder `.ci/kafka.sh libs` fills when SUBHUB_KAFKA_CACHE is not set. */
function defaultLibs(): string {
  const cache = process.env.SUBHUB_KAFKA_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'subhub-ci', 'kafka');
  return join(cache, `libs-${KAFKA_VERSION}`);
}

/** The folder of Kafka's jars: SUBHUB_KAFKA_LIBS, else `.ci/kafka.sh`'s cache when complete. */
export function kafkaLibs(): string {
  const hasBroker = (dir: string) => existsSync(dir) && readdirSync(dir).some((f) => /^kafka_2\.13-.*\.jar$/.test(f));
  const configured = process.env.SUBHUB_KAFKA_LIBS;
  if (configured) {
    if (hasBroker(configured)) return configured;
    throw new Error(
      `SUBHUB_KAFKA_LIBS=${configured} holds no kafka_2.13 jar: run \`.ci/kafka.sh libs\` and point it at the folder it prints`,
    );
  }
  const fallback = defaultLibs();
  if (existsSync(join(fallback, '.complete')) && hasBroker(fallback)) return fallback;
  throw new Error(
    `Apache Kafka's jars are not installed: the Kafka tests start their own broker from them. ` +
      `Run \`.ci/kafka.sh libs\` (Java 17 + Maven) and set SUBHUB_KAFKA_LIBS to the folder it prints.`,
  );
}

/** `java`: JAVA_HOME's, else the first on PATH. */
function javaBin(): string {
  const home = process.env.JAVA_HOME;
  if (home && existsSync(join(home, 'bin', 'java'))) return join(home, 'bin', 'java');
  const onPath = (process.env.PATH ?? '').split(delimiter).find((dir) => dir && existsSync(join(dir, 'java')));
  if (onPath) return join(onPath, 'java');
  throw new Error(
    'Java is not installed: the Kafka tests run a real broker on Java 17 (Debian/Ubuntu: apt-get install openjdk-17-jre-headless).',
  );
}

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (Kafka's Uuid text form). Kafka
 * rejects ids that start with '-' (they read as options), so those are drawn again.
 */
function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** One broker's folder (config, data, log) and its JVM while it runs. */
class Broker {
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  constructor(
    readonly dir: string,
    readonly libs: string,
    public port = 0,
    public controllerPort = 0,
  ) {}

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get logFile(): string {
    return join(this.dir, 'server.log');
  }

  get properties(): string {
    return join(this.dir, 'server.properties');
  }

  /** Writes server.properties for the current ports (the data folder does not depend on them). */
  configure(partitions: number): void {
    writeFileSync(
      this.properties,
      [
        '# One node, both roles: the controller quorum is this process alone (a static voter set).',
        'process.roles=broker,controller',
        'node.id=1',
        `controller.quorum.voters=1@127.0.0.1:${this.controllerPort}`,
        `listeners=PLAINTEXT://127.0.0.1:${this.port},CONTROLLER://127.0.0.1:${this.controllerPort}`,
        `advertised.listeners=PLAINTEXT://127.0.0.1:${this.port}`,
        'controller.listener.names=CONTROLLER',
        'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
        `log.dirs=${join(this.dir, 'data')}`,
        '# The internal topics default to 3 replicas: with one broker, groups and transactions would wait forever.',
        'offsets.topic.replication.factor=1',
        'transaction.state.log.replication.factor=1',
        'transaction.state.log.min.isr=1',
        'share.coordinator.state.topic.replication.factor=1',
        'share.coordinator.state.topic.min.isr=1',
        '# After a SIGKILL the restarted broker may register only once the old registration has expired:',
        '# 3 s instead of 9 s (restart after kill ~7 s instead of ~12 s); heartbeats stay 4 per session.',
        'broker.session.timeout.ms=3000',
        'broker.heartbeat.interval.ms=750',
        '# A first consumer joins its group at once instead of after 3 s.',
        'group.initial.rebalance.delay.ms=0',
        '# Topics created on first use (producers, consumers) get this many partitions.',
        `num.partitions=${partitions}`,
        '',
      ].join('\n'),
    );
    // Kafka's log4j2: everything at INFO to stdout (the log file), request logging only on warnings.
    writeFileSync(
      join(this.dir, 'log4j2.properties'),
      [
        'status = warn',
        'appender.out.type = Console',
        'appender.out.name = OUT',
        'appender.out.layout.type = PatternLayout',
        'appender.out.layout.pattern = [%d] %p %m (%c)%n',
        'rootLogger.level = INFO',
        'rootLogger.appenderRef.out.ref = OUT',
        'logger.requests.name = kafka.request.logger',
        'logger.requests.level = WARN',
        '',
      ].join('\n'),
    );
    // The tools: warnings and errors only, to stderr (their stdout is their answer).
    writeFileSync(
      join(this.dir, 'log4j2-tools.properties'),
      [
        'status = warn',
        'appender.err.type = Console',
        'appender.err.name = ERR',
        'appender.err.target = SYSTEM_ERR',
        'appender.err.layout.type = PatternLayout',
        'appender.err.layout.pattern = %p %m (%c)%n',
        'rootLogger.level = WARN',
        'rootLogger.appenderRef.err.ref = ERR',
        '',
      ].join('\n'),
    );
  }

  /** Runs a Kafka command-line class with the jars on the classpath; rejects with its output. */
  async tool(mainClass: string, args: string[]): Promise<string> {
    const argv = [
      ...TOOL_JVM,
      `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2-tools.properties')}`,
      '-cp',
      `${this.libs}/*`,
      mainClass,
      ...args,
    ];
    try {
      return (await run(javaBin(), argv, { maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (e) {
      const x = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${mainClass} ${args[0] ?? ''} failed: ${x.message}\n${x.stdout ?? ''}${x.stderr ?? ''}`);
    }
  }

  /** Formats the data folder as a new single-node cluster (once per broker). */
  async format(): Promise<void> {
    await this.tool('kafka.tools.StorageTool', ['format', '-t', clusterId(), '-c', this.properties]);
  }

  /**
   * Starts the JVM detached (its own process group: a signal to the jest worker's group does not
   * reach it; the watchdog ends it instead) and resolves once the log says "Kafka Server started"
   * for this start and the client port accepts connections. Polled every 50 ms: this is readiness
   * of another process, which has no other signal to wait on.
   */
  async start(): Promise<void> {
    const from = existsSync(this.logFile) ? statSync(this.logFile).size : 0;
    const out = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(
        javaBin(),
        [
          ...BROKER_JVM,
          `-Dlog4j2.configurationFile=${join(this.dir, 'log4j2.properties')}`,
          '-cp',
          `${this.libs}/*`,
          'kafka.Kafka',
          this.properties,
        ],
        { cwd: this.dir, detached: true, stdio: ['ignore', out, out] },
      );
    } finally {
      closeSync(out);
    }
    this.#child = child;
    let exit: string | undefined;
    this.#exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        exit = signal ? `signal ${signal}` : `exit code ${code}`;
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
      child.once('error', (e) => {
        exit = e.message;
        if (this.#child === child) this.#child = undefined;
        resolve();
      });
    });
    writeFileSync(join(this.dir, 'kafka.pid'), String(child.pid ?? ''));
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (;;) {
      if (exit !== undefined) throw new Error(`Kafka exited during startup (${exit}):\n${this.tail()}`);
      if (this.logSince(from).includes('Kafka Server started') && (await canConnect(this.port))) return;
      if (Date.now() > deadline) {
        await this.signal('SIGKILL');
        throw new Error(`Kafka did not start within ${READY_TIMEOUT_MS} ms:\n${this.tail()}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends `signal` to the JVM and resolves once it has exited (SIGKILL after STOP_TIMEOUT_MS). */
  async signal(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    try {
      await this.#exited;
    } finally {
      clearTimeout(timer);
    }
  }

  logSince(offset: number): string {
    try {
      return readFileSync(this.logFile).subarray(offset).toString('utf8');
    } catch {
      return '';
    }
  }

  tail(): string {
    return this.logSince(0).split('\n').slice(-LOG_TAIL_LINES).join('\n');
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A detached watchdog: once `owner` has exited, SIGKILLs the broker whose pid is in kafka.pid (only
 * if that process still is this folder's broker, so a recycled pid is left alone) and removes the
 * folder; exits by itself when the folder is gone (the test stopped the broker). It checks twice a
 * second: this is cleanup after a crash, not synchronisation.
 */
function watch(owner: number, dir: string): void {
  const script = `
    const { existsSync, readFileSync, rmSync } = require('node:fs');
    const [owner, dir] = [Number(process.argv[1]), process.argv[2]];
    const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === 'EPERM'; } };
    setInterval(() => {
      if (!existsSync(dir)) process.exit(0);
      if (alive(owner)) return;
      try {
        const pid = Number(readFileSync(dir + '/kafka.pid', 'utf8'));
        if (pid > 0 && readFileSync('/proc/' + pid + '/cmdline', 'utf8').includes(dir + '/server.properties')) process.kill(pid, 'SIGKILL');
      } catch {}
      rmSync(dir, { recursive: true, force: true });
      process.exit(0);
    }, 500);`;
  spawn(process.execPath, ['-e', script, String(owner), dir], { detached: true, stdio: 'ignore' }).unref();
}

/** A private single-node Kafka cluster; `partitions`: of topics created on first use (default 6). */
export async function startKafka(opts: { partitions?: number } = {}): Promise<KafkaBroker> {
  const partitions = opts.partitions ?? 6;
  const libs = kafkaLibs();
  const broker = new Broker(mkdtempSync(join(tmpdir(), 'subhub-kafka-')), libs);
  watch(process.pid, broker.dir);
  try {
    broker.port = await freePort();
    broker.controllerPort = await freePort();
    broker.configure(partitions);
    await broker.format();
    // A port taken between freePort() and the broker's bind: try other ones (the data does not care).
    for (let attempt = 1; ; attempt++) {
      try {
        await broker.start();
        break;
      } catch (e) {
        if (attempt >= 3) throw e;
        broker.port = await freePort();
        broker.controllerPort = await freePort();
        broker.configure(partitions);
      }
    }
  } catch (e) {
    await broker.signal('SIGKILL');
    broker.remove();
    throw e;
  }
  return {
    brokers: `127.0.0.1:${broker.port}`,
    stop: async () => {
      try {
        await broker.signal('SIGKILL');
      } finally {
        broker.remove();
      }
    },
    halt: () => broker.signal('SIGTERM'),
    restart: async () => {
      await broker.signal('SIGTERM');
      await broker.start();
    },
    kill: () => broker.signal('SIGKILL'),
    createTopic: async (name, count) => {
      await broker.tool('org.apache.kafka.tools.TopicCommand', [
        '--bootstrap-server',
        `127.0.0.1:${broker.port}`,
        '--create',
        '--topic',
        name,
        '--partitions',
        String(count),
        '--replication-factor',
        '1',
      ]);
    },
    log: () => broker.tail(),
    pid: () => broker.pid,
  };
}
