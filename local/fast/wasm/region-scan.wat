;; The common case of the byte scanner (local/fast/region-compiler.ts) in WebAssembly: lines whose
;; fields are separated by one space, IPv4 and IPv6 addresses, plain numbers, ACCEPT/REJECT, log-status OK.
;; Any other line stops the scan at its first byte, and the compiled JavaScript scanner (then, if
;; need be, the reference parser) reads it: this module only ever accepts what those would accept,
;; with the same values, so results cannot differ. Layout (see wasm-scan.ts):
;;   [0] field count, [8] has log-status, [16 + f] field code, [1024 + 8f] largest value (i64),
;;   [2048..] results: position, batch size, outside, lines, read, skipped, [2560..] IPv6 hextets,
;;   [4096..] batch ints (6 per record), [16384..] batch doubles (3 per record: bytes, start, the
;;   address its line starts at), [65536..] input
;;   copied in (4 MB), then a 1 MB area plain files are read into; 64 KB after each is never input.
(module
  (memory (export "memory") 84 84)
  ;; The value of a hex digit, or -1.
  (func $hex (param $c i32) (result i32)
    (if (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)) (then (return (i32.sub (local.get $c) (i32.const 48)))))
    (if (i32.lt_u (i32.sub (local.get $c) (i32.const 97)) (i32.const 6)) (then (return (i32.sub (local.get $c) (i32.const 87)))))
    (if (i32.lt_u (i32.sub (local.get $c) (i32.const 65)) (i32.const 6)) (then (return (i32.sub (local.get $c) (i32.const 55)))))
    (i32.const -1))
  (func (export "scan") (param $from i32) (param $to i32) (param $lo f64) (param $hi f64) (param $n i32) (param $cap i32) (result i32)
    (local $i i32) (local $c i32) (local $f i32) (local $nf i32) (local $code i32) (local $s i32)
    (local $v i64) (local $o i32) (local $ip i32) (local $q i32) (local $srcip i32)
    (local $n6 i32) (local $gap i32) (local $v6 i32) (local $digits i32) (local $h i32) (local $w0 i32) (local $w1 i32) (local $w2 i32) (local $w3 i32)
    (local $src i32) (local $dport i32) (local $bytes i64) (local $start i64) (local $action i32) (local $status i32)
    (local $lineStart i32) (local $lines i32) (local $read i32) (local $skipped i32) (local $outside i32) (local $k i32)
    (local $statusUnset i32)
    (local.set $nf (i32.load (i32.const 0)))
    (local.set $statusUnset (select (i32.const -1) (i32.const 0) (i32.load (i32.const 8))))
    (local.set $i (local.get $from))
    (block $done
      (loop $line
        (br_if $done (i32.ge_u (local.get $i) (local.get $to)))
        (br_if $done (i32.eq (local.get $n) (local.get $cap)))
        (local.set $lineStart (local.get $i))
        (local.set $src (i32.const 0))
        (local.set $dport (i32.const -1))
        (local.set $bytes (i64.const -1))
        (local.set $start (i64.const -1))
        (local.set $action (i32.const -1))
        (local.set $status (local.get $statusUnset))
        (local.set $c (i32.load8_u (local.get $i)))
        (local.set $f (i32.const 0))
        (block $stop
          ;; A line starting with a lowercase letter may be a header: the JavaScript side decides.
          (br_if $stop (i32.lt_u (i32.sub (local.get $c) (i32.const 97)) (i32.const 26)))
          (loop $field
            (local.set $code (i32.load8_u (i32.add (i32.const 16) (local.get $f))))
            (block $next
              (block $logstatus
                (block $act
                  (block $addr
                    (block $num
                      (block $text
                        (br_table $text $num $num $num $num $addr $addr $act $logstatus $stop (local.get $code)))
                      ;; Text: a run of printable ASCII but space.
                      (br_if $stop (i32.ge_u (i32.sub (local.get $c) (i32.const 33)) (i32.const 94)))
                      (loop $t
                        (local.set $i (i32.add (local.get $i) (i32.const 1)))
                        (local.set $c (i32.load8_u (local.get $i)))
                        (br_if $t (i32.lt_u (i32.sub (local.get $c) (i32.const 33)) (i32.const 94))))
                      (br $next))
                    ;; A number: 1 to 15 digits, at most the field's largest value.
                    (br_if $stop (i32.ge_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)))
                    (local.set $s (local.get $i))
                    (local.set $v (i64.const 0))
                    (loop $d
                      (local.set $v (i64.add (i64.mul (local.get $v) (i64.const 10)) (i64.extend_i32_u (i32.sub (local.get $c) (i32.const 48)))))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (local.set $c (i32.load8_u (local.get $i)))
                      (br_if $d (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))))
                    (br_if $stop (i32.gt_u (i32.sub (local.get $i) (local.get $s)) (i32.const 15)))
                    (br_if $stop (i64.gt_s (local.get $v) (i64.load (i32.add (i32.const 1024) (i32.shl (local.get $f) (i32.const 3))))))
                    (if (i32.eq (local.get $code) (i32.const 2)) (then (local.set $dport (i32.wrap_i64 (local.get $v)))))
                    (if (i32.eq (local.get $code) (i32.const 3)) (then (local.set $bytes (local.get $v))))
                    (if (i32.eq (local.get $code) (i32.const 4)) (then (local.set $start (local.get $v))))
                    (br $next))
                  ;; An address: IPv4 as the JavaScript scanner reads it, else IPv6 as readIpv6 does.
                  (local.set $s (local.get $i))
                  (block $v6
                    (local.set $ip (i32.const 0))
                    (local.set $q (i32.const 0))
                    (loop $octet
                      (br_if $v6 (i32.ge_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)))
                      (local.set $o (i32.sub (local.get $c) (i32.const 48)))
                      (local.set $i (i32.add (local.get $i) (i32.const 1)))
                      (local.set $c (i32.load8_u (local.get $i)))
                      (if (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))
                        (then
                          (br_if $v6 (i32.eqz (local.get $o)))
                          (local.set $o (i32.add (i32.mul (local.get $o) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))
                          (local.set $i (i32.add (local.get $i) (i32.const 1)))
                          (local.set $c (i32.load8_u (local.get $i)))
                          (if (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10))
                            (then
                              (local.set $o (i32.add (i32.mul (local.get $o) (i32.const 10)) (i32.sub (local.get $c) (i32.const 48))))
                              (local.set $i (i32.add (local.get $i) (i32.const 1)))
                              (local.set $c (i32.load8_u (local.get $i)))
                              (br_if $v6 (i32.lt_u (i32.sub (local.get $c) (i32.const 48)) (i32.const 10)))
                              (br_if $v6 (i32.gt_u (local.get $o) (i32.const 255)))))))
                      (local.set $ip (i32.or (i32.shl (local.get $ip) (i32.const 8)) (local.get $o)))
                      (local.set $q (i32.add (local.get $q) (i32.const 1)))
                      (if (i32.lt_u (local.get $q) (i32.const 4))
                        (then
                          (br_if $v6 (i32.ne (local.get $c) (i32.const 46)))
                          (local.set $i (i32.add (local.get $i) (i32.const 1)))
                          (local.set $c (i32.load8_u (local.get $i)))
                          (br $octet))))
                    ;; IPv4 only with a blank or the line end after it; otherwise IPv6 is tried.
                    (br_if $v6 (i32.eqz (i32.or (i32.or (i32.eq (local.get $c) (i32.const 32)) (i32.eq (local.get $c) (i32.const 9)))
                                                (i32.or (i32.eq (local.get $c) (i32.const 10)) (i32.eq (local.get $c) (i32.const 13))))))
                    (if (i32.eq (local.get $code) (i32.const 6)) (then (local.set $src (i32.const 4)) (local.set $srcip (local.get $ip))))
                    (br $next))
                  ;; IPv6 in hex groups with at most one "::" (embedded IPv4 is left to JavaScript).
                  ;; The eight hextets go to [2560 + 4h].
                  (local.set $i (local.get $s))
                  (local.set $c (i32.load8_u (local.get $i)))
                  (local.set $n6 (i32.const 0))
                  (local.set $gap (i32.const -1))
                  (if (i32.eq (local.get $c) (i32.const 58))
                    (then
                      (br_if $stop (i32.ne (i32.load8_u (i32.add (local.get $i) (i32.const 1))) (i32.const 58)))
                      (local.set $gap (i32.const 0))
                      (local.set $i (i32.add (local.get $i) (i32.const 2)))
                      (local.set $c (i32.load8_u (local.get $i)))))
                  (if (i32.or (i32.ne (local.get $gap) (i32.const 0)) (i32.ge_s (call $hex (local.get $c)) (i32.const 0)))
                    (then
                      (block $groups
                        (loop $group
                          (local.set $v6 (i32.const 0))
                          (local.set $digits (i32.const 0))
                          (local.set $h (call $hex (local.get $c)))
                          (block $hexEnd
                            (loop $hexDigit
                              (br_if $hexEnd (i32.lt_s (local.get $h) (i32.const 0)))
                              (br_if $hexEnd (i32.ge_u (local.get $digits) (i32.const 5)))
                              (local.set $v6 (i32.add (i32.shl (local.get $v6) (i32.const 4)) (local.get $h)))
                              (local.set $digits (i32.add (local.get $digits) (i32.const 1)))
                              (local.set $i (i32.add (local.get $i) (i32.const 1)))
                              (local.set $c (i32.load8_u (local.get $i)))
                              (local.set $h (call $hex (local.get $c)))
                              (br $hexDigit)))
                          (br_if $stop (i32.or (i32.or (i32.eqz (local.get $digits)) (i32.gt_u (local.get $digits) (i32.const 4))) (i32.eq (local.get $n6) (i32.const 8))))
                          (i32.store (i32.add (i32.const 2560) (i32.shl (local.get $n6) (i32.const 2))) (local.get $v6))
                          (local.set $n6 (i32.add (local.get $n6) (i32.const 1)))
                          (br_if $groups (i32.ne (local.get $c) (i32.const 58)))
                          (local.set $i (i32.add (local.get $i) (i32.const 1)))
                          (local.set $c (i32.load8_u (local.get $i)))
                          (if (i32.eq (local.get $c) (i32.const 58))
                            (then
                              (br_if $stop (i32.ge_s (local.get $gap) (i32.const 0)))
                              (local.set $gap (local.get $n6))
                              (local.set $i (i32.add (local.get $i) (i32.const 1)))
                              (local.set $c (i32.load8_u (local.get $i)))
                              (br_if $groups (i32.lt_s (call $hex (local.get $c)) (i32.const 0)))))
                          (br $group)))))
                  (br_if $stop (i32.eq (local.get $c) (i32.const 46)))
                  (if (i32.lt_s (local.get $gap) (i32.const 0))
                    (then (br_if $stop (i32.ne (local.get $n6) (i32.const 8))))
                    (else
                      (br_if $stop (i32.gt_u (local.get $n6) (i32.const 7)))
                      ;; Move the groups after "::" to the end and zero the gap.
                      (local.set $h (i32.const 7))
                      (local.set $digits (i32.sub (local.get $n6) (i32.const 1)))
                      (block $moved
                        (loop $move
                          (br_if $moved (i32.lt_s (local.get $digits) (local.get $gap)))
                          (i32.store (i32.add (i32.const 2560) (i32.shl (local.get $h) (i32.const 2)))
                                     (i32.load (i32.add (i32.const 2560) (i32.shl (local.get $digits) (i32.const 2)))))
                          (local.set $h (i32.sub (local.get $h) (i32.const 1)))
                          (local.set $digits (i32.sub (local.get $digits) (i32.const 1)))
                          (br $move)))
                      (local.set $h (local.get $gap))
                      (block $zeroed
                        (loop $zero
                          (br_if $zeroed (i32.ge_s (local.get $h) (i32.sub (i32.const 8) (i32.sub (local.get $n6) (local.get $gap)))))
                          (i32.store (i32.add (i32.const 2560) (i32.shl (local.get $h) (i32.const 2))) (i32.const 0))
                          (local.set $h (i32.add (local.get $h) (i32.const 1)))
                          (br $zero)))))
                  (if (i32.eq (local.get $code) (i32.const 6))
                    (then
                      (local.set $src (i32.const 6))
                      (local.set $w0 (i32.or (i32.shl (i32.load (i32.const 2560)) (i32.const 16)) (i32.load (i32.const 2564))))
                      (local.set $w1 (i32.or (i32.shl (i32.load (i32.const 2568)) (i32.const 16)) (i32.load (i32.const 2572))))
                      (local.set $w2 (i32.or (i32.shl (i32.load (i32.const 2576)) (i32.const 16)) (i32.load (i32.const 2580))))
                      (local.set $w3 (i32.or (i32.shl (i32.load (i32.const 2584)) (i32.const 16)) (i32.load (i32.const 2588))))))
                  (br $next))
                ;; ACCEPT or REJECT (little-endian words of their bytes).
                (if (i32.eq (i32.load (local.get $i)) (i32.const 0x45434341))
                  (then
                    (br_if $stop (i32.ne (i32.load16_u (i32.add (local.get $i) (i32.const 4))) (i32.const 0x5450)))
                    (local.set $action (i32.const 0)))
                  (else
                    (br_if $stop (i32.ne (i32.load (local.get $i)) (i32.const 0x454a4552)))
                    (br_if $stop (i32.ne (i32.load16_u (i32.add (local.get $i) (i32.const 4))) (i32.const 0x5443)))
                    (local.set $action (i32.const 1))))
                (local.set $i (i32.add (local.get $i) (i32.const 6)))
                (local.set $c (i32.load8_u (local.get $i)))
                (br $next))
              ;; log-status OK (NODATA and SKIPDATA are left to JavaScript).
              (br_if $stop (i32.ne (i32.load16_u (local.get $i)) (i32.const 0x4b4f)))
              (local.set $status (i32.const 0))
              (local.set $i (i32.add (local.get $i) (i32.const 2)))
              (local.set $c (i32.load8_u (local.get $i))))
            ;; One space before the next field; the newline after the last.
            (local.set $f (i32.add (local.get $f) (i32.const 1)))
            (if (i32.lt_u (local.get $f) (local.get $nf))
              (then
                (br_if $stop (i32.ne (local.get $c) (i32.const 32)))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (local.set $c (i32.load8_u (local.get $i)))
                (br $field))))
          (br_if $stop (i32.ne (local.get $c) (i32.const 10)))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (local.set $lines (i32.add (local.get $lines) (i32.const 1)))
          (local.set $read (i32.add (local.get $read) (i32.const 1)))
          (if (i32.or
                (i32.or (i32.ne (local.get $status) (i32.const 0)) (i32.eqz (local.get $src)))
                (i32.or
                  (i32.or (i32.lt_s (local.get $dport) (i32.const 0)) (i64.lt_s (local.get $bytes) (i64.const 0)))
                  (i32.or (i64.lt_s (local.get $start) (i64.const 0)) (i32.lt_s (local.get $action) (i32.const 0)))))
            (then
              (local.set $skipped (i32.add (local.get $skipped) (i32.const 1)))
              (br $line)))
          (if (i32.or
                (f64.lt (f64.convert_i64_s (local.get $start)) (local.get $lo))
                (f64.ge (f64.convert_i64_s (local.get $start)) (local.get $hi)))
            (then
              (local.set $outside (i32.add (local.get $outside) (i32.const 1)))
              (br $line)))
          (local.set $k (i32.add (i32.const 4096) (i32.mul (local.get $n) (i32.const 24))))
          (i32.store (local.get $k) (i32.add (local.get $src) (i32.shl (local.get $action) (i32.const 3))))
          (if (i32.eq (local.get $src) (i32.const 4))
            (then (i32.store offset=4 (local.get $k) (local.get $srcip)))
            (else
              (i32.store offset=4 (local.get $k) (local.get $w0))
              (i32.store offset=8 (local.get $k) (local.get $w1))
              (i32.store offset=12 (local.get $k) (local.get $w2))
              (i32.store offset=16 (local.get $k) (local.get $w3))))
          (i32.store offset=20 (local.get $k) (local.get $dport))
          (local.set $k (i32.add (i32.const 16384) (i32.mul (local.get $n) (i32.const 24))))
          (f64.store (local.get $k) (f64.convert_i64_s (local.get $bytes)))
          (f64.store offset=8 (local.get $k) (f64.convert_i64_s (local.get $start)))
          (f64.store offset=16 (local.get $k) (f64.convert_i32_u (local.get $lineStart)))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br $line))
        ;; Stopped: the line is left, whole, to the caller.
        (local.set $i (local.get $lineStart))))
    (i32.store (i32.const 2048) (local.get $i))
    (i32.store (i32.const 2052) (local.get $n))
    (i32.store (i32.const 2056) (local.get $outside))
    (i32.store (i32.const 2060) (local.get $lines))
    (i32.store (i32.const 2064) (local.get $read))
    (i32.store (i32.const 2068) (local.get $skipped))
    (local.get $i)))
