#!/bin/bash
start() { java -Xmx512m -jar $1 --server.port=$2 --server.address=127.0.0.1 --management.server.port=-1 > /tmp/pair-$2.log 2>&1 & echo $!; }
A=$(start /tmp/base-557e774.jar 18101); B=$(start /tmp/head-5a619b1.jar 18102)
for p in 18101 18102; do for i in $(seq 1 60); do curl -s -o /dev/null http://127.0.0.1:$p/hello && break; sleep 0.5; done; done
wrk -t2 -c64 -d20s http://127.0.0.1:18101/hello > /dev/null; wrk -t2 -c64 -d20s http://127.0.0.1:18102/hello > /dev/null
for i in 1 2 3 4 5 6; do
  a=$(wrk -t2 -c64 -d5s http://127.0.0.1:18101/hello | awk '/Requests\/sec/ {print $2}')
  b=$(wrk -t2 -c64 -d5s http://127.0.0.1:18102/hello | awk '/Requests\/sec/ {print $2}')
  echo "pair $i base $a head $b ratio $(python3 -c "print(round($b/$a,3))")"
done
kill $A $B; wait
