import jsonata from 'jsonata';
import { MappingError } from '../mapping-error';
import { runtimeError } from '../compile-context';
import { NODE, type OperatorDef } from './operator';

/** Guardrails for the JSONata slow path (jsonata's own options). */
const JSONATA_STACK = 500;
const JSONATA_SEQUENCE = 100_000;

export const composeOperators: OperatorDef[] = [
  {
    name: '$use',
    group: 'compose',
    summary: 'Applies another mapping by name to "input" (default: the current item @) and inserts its output.',
    arg: { type: 'string', minLength: 1 },
    params: { input: { schema: NODE, description: 'What the other mapping receives as its input (default @).' } },
    compile: (n, cc) => {
      const name = n.arg as string;
      const used = cc.env.resolveMapping(name);
      if (used === undefined)
        return cc.error('MAPPING_UNKNOWN_MAPPING', n.argPointer, `no mapping named "${name}"`, 'the name is the file name without .json');
      if (used === 'cycle')
        return cc.error('MAPPING_CYCLE', n.argPointer, `mapping "${name}" uses this mapping in turn`, 'break the cycle');
      if (used === 'broken')
        return cc.error(
          'MAPPING_UNKNOWN_MAPPING',
          n.argPointer,
          `mapping "${name}" does not compile`,
          `run subhub validate on ${name}.json`,
        );
      if (used.isAsync) {
        return cc.error(
          'MAPPING_JSONATA_PLACEMENT',
          n.argPointer,
          `mapping "${name}" uses $jsonata and cannot be composed`,
          'move the $jsonata node into this mapping',
        );
      }
      const input = n.params.input === undefined ? (s: { cur: unknown }) => s.cur : cc.node(n.params.input, cc.child(n.pointer, 'input'));
      // Missing in, missing out, as for every other operator: the used mapping does not run.
      return (s) => {
        const v = input(s);
        return v === undefined || v === null ? v : used.evaluate(v);
      };
    },
  },
  {
    name: '$jsonata',
    group: 'compose',
    summary: 'The slow path: a JSONata expression over the whole input, for what the built-ins cannot say. Not inside iterations.',
    arg: { type: 'string', minLength: 1 },
    params: {
      timeoutMs: { schema: { type: 'integer', minimum: 1, maximum: 10_000 }, description: 'Evaluation time limit (default 1000).' },
    },
    compile: (n, cc) => {
      if (cc.iterationDepth > 0) {
        return cc.error(
          'MAPPING_JSONATA_PLACEMENT',
          n.argPointer,
          '$jsonata cannot sit inside $map, $filter or $sum: it runs once per event, on the whole input',
          'iterate inside the JSONata expression instead',
        );
      }
      const timeout = (n.params.timeoutMs as number | undefined) ?? 1000;
      let expr: jsonata.Expression;
      try {
        expr = jsonata(n.arg as string, { timeout, stack: JSONATA_STACK, sequence: JSONATA_SEQUENCE });
      } catch (e) {
        const err = e as { message?: string; position?: number };
        return cc.error(
          'MAPPING_JSONATA_COMPILE',
          n.argPointer,
          `JSONata: ${err.message ?? String(e)}${err.position !== undefined ? ` (expression column ${err.position})` : ''}`,
        );
      }
      const slot = cc.pre.length;
      cc.pre.push(async (root) => {
        try {
          const result: unknown = await expr.evaluate(root);
          // JSONata returns sequences (arrays with extra fields); hand on plain JSON.
          return result === undefined ? undefined : JSON.parse(JSON.stringify(result));
        } catch (e) {
          if (e instanceof MappingError) throw e;
          const err = e as { code?: string; message?: string };
          const code = err.code === 'D1012' ? 'MAPPING_JSONATA_TIMEOUT' : 'MAPPING_JSONATA_EVAL';
          throw runtimeError(n.info, code, `JSONata ${err.code ?? 'error'}: ${err.message ?? String(e)}`);
        }
      });
      return (s) => s.pre[slot];
    },
  },
];
