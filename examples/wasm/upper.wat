;; Reads all of stdin, writes it to stdout with ASCII a-z uppercased, exits 0.
;; Any WASI error exits 1. Memory layout: 0..8 read iovec, 16 nread, 32..40 write iovec,
;; 48 nwritten, 1024.. 4 KiB data buffer.
(module
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  ;; writes len bytes at ptr to stdout, looping over partial writes
  (func $write_all (param $ptr i32) (param $len i32)
    (block $done
      (loop $again
        (br_if $done (i32.eqz (local.get $len)))
        (i32.store (i32.const 32) (local.get $ptr))
        (i32.store (i32.const 36) (local.get $len))
        (if (call $fd_write (i32.const 1) (i32.const 32) (i32.const 1) (i32.const 48))
          (then (call $proc_exit (i32.const 1))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.load (i32.const 48))))
        (local.set $len (i32.sub (local.get $len) (i32.load (i32.const 48))))
        (br $again))))

  (func (export "_start")
    (local $n i32) (local $i i32) (local $c i32)
    (block $eof
      (loop $read
        (i32.store (i32.const 0) (i32.const 1024))
        (i32.store (i32.const 4) (i32.const 4096))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16))
          (then (call $proc_exit (i32.const 1))))
        (local.set $n (i32.load (i32.const 16)))
        (br_if $eof (i32.eqz (local.get $n)))
        (local.set $i (i32.const 0))
        (block $upper_done
          (loop $upper
            (br_if $upper_done (i32.ge_u (local.get $i) (local.get $n)))
            (local.set $c (i32.load8_u (i32.add (i32.const 1024) (local.get $i))))
            (if (i32.and (i32.ge_u (local.get $c) (i32.const 97))
                         (i32.le_u (local.get $c) (i32.const 122)))
              (then (i32.store8 (i32.add (i32.const 1024) (local.get $i))
                                (i32.sub (local.get $c) (i32.const 32)))))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $upper)))
        (call $write_all (i32.const 1024) (local.get $n))
        (br $read)))
    (call $proc_exit (i32.const 0))))
