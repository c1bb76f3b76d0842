;; Hits `unreachable`: the executor reports the trap as exit code 134 with the trap on stderr.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    unreachable))
