#!/usr/bin/env bash
# Apache Kafka's jars for the tests that run a real broker (npm run test:kafka): no Docker, no
# tarball; the broker itself is started per test by test/helpers/kafka.ts from these jars.
#
#   .ci/kafka.sh libs   installs Java 17 and Maven if missing (apt-get, as root), resolves the
#                       broker, its tools and a log4j binding from Maven Central into a cache folder
#                       and prints that folder (the classpath is "<folder>/*")
#
# Typical use:  SUBHUB_KAFKA_LIBS="$(.ci/kafka.sh libs | tail -n 1)" npm run test:kafka
#
# The cache is SUBHUB_KAFKA_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/subhub-ci/kafka), a folder a
# CI run can keep between runs; Maven's local repository lives in it too. A second call with the
# jars in place prints the folder at once. The folder is the last line on stdout; Maven's and
# apt's chatter go to stderr.
set -euo pipefail
cd "$(dirname "$0")/.."

KAFKA_VERSION="${SUBHUB_KAFKA_VERSION:-4.4.0}"
# Kafka logs through SLF4J 1.x; this binding sends it to the log4j2 that Kafka ships (same version
# as Kafka's log4j-core). Without it the broker logs nothing, and the tests read "Kafka Server
# started" from its log.
LOG4J_VERSION=2.25.5
# Absolute, so that a relative SUBHUB_KAFKA_CACHE names the same folder for the tests.
CACHE="${SUBHUB_KAFKA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/subhub-ci/kafka}"
CACHE="$(mkdir -p "$CACHE" && cd "$CACHE" && pwd)"
LIBS="$CACHE/libs-$KAFKA_VERSION"

log() { printf '%s\n' "$*" >&2; }

# Java 17 runs the broker, Maven fetches it; Debian's packages, installed only when missing.
prerequisites() {
  local missing=()
  command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
  command -v mvn >/dev/null || missing+=(maven)
  [ "${#missing[@]}" -eq 0 ] && return
  if [ "$(id -u)" != 0 ]; then
    log "kafka: ${missing[*]} missing; install them (Debian/Ubuntu: apt-get install ${missing[*]}) and run again"
    exit 1
  fi
  log "kafka: installing ${missing[*]}"
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

libs() {
  # .complete is written last: a folder without it is a download that was cut short.
  if [ -f "$LIBS/.complete" ]; then
    echo "$LIBS"
    return
  fi
  prerequisites
  local pom="$CACHE/pom-$KAFKA_VERSION.xml" tmp="$LIBS.tmp"
  # A pom that only lists what to fetch: the broker (kafka.Kafka, kafka.tools.StorageTool), the
  # log binding, and the command-line tools (TopicCommand and friends) without Kafka Connect's
  # runtime, which would drag in a web server the tests never use.
  cat >"$pom" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>subhub.ci</groupId>
  <artifactId>kafka-libs</artifactId>
  <version>$KAFKA_VERSION</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$LOG4J_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
      <exclusions>
        <exclusion>
          <groupId>org.apache.kafka</groupId>
          <artifactId>connect-runtime</artifactId>
        </exclusion>
      </exclusions>
    </dependency>
  </dependencies>
</project>
EOF
  log "kafka: fetching Apache Kafka $KAFKA_VERSION's jars from Maven Central into $LIBS"
  rm -rf "$tmp"
  mvn -B -q -Dstyle.color=never -f "$pom" -Dmaven.repo.local="$CACHE/m2" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$tmp" >&2
  touch "$tmp/.complete"
  rm -rf "$LIBS"
  mv "$tmp" "$LIBS"
  log "kafka: $(find "$LIBS" -name '*.jar' | wc -l) jars, $(du -sh "$LIBS" | cut -f1)"
  echo "$LIBS"
}

case "${1:-}" in
  libs) libs ;;
  *) log "usage: $0 libs"; exit 2 ;;
esac
