;; Grows linear memory one page at a time until memory.grow fails, prints the final size in
;; 64 KiB pages as decimal to stdout, then exits 3. Under a cap of N MiB it prints N*16.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (local $pages i32) (local $p i32)
    (block $full
      (loop $grow
        (br_if $full (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (br $grow)))
    ;; digits written backwards ending at offset 63, then an iovec at 0 pointing at them
    (local.set $pages (memory.size))
    (local.set $p (i32.const 64))
    (loop $digit
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $pages) (i32.const 10))))
      (local.set $pages (i32.div_u (local.get $pages) (i32.const 10)))
      (br_if $digit (local.get $pages)))
    (i32.store (i32.const 0) (local.get $p))
    (i32.store (i32.const 4) (i32.sub (i32.const 64) (local.get $p)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 3))))
