/// Comparison of secrets in time that does not depend on where they differ.
///
/// A plain `==` on byte arrays returns at the first differing byte, so the time of a failed
/// attempt tells an attacker how long a prefix of the token they guessed right; with enough
/// requests they recover the token byte by byte. `equals` instead:
/// - compares the lengths without an early exit: the length difference is folded into the same
///   accumulator as the byte differences (a wrong length fails, but only at the end);
/// - walks every byte of `expected` (the secret, whose length is fixed for the life of the
///   server), XOR-ing it with the byte of `presented` at the same offset (0 past its end) and
///   OR-ing the result into the accumulator, with no branch on the data;
/// - decides once, after the loop, from the accumulator.
/// The running time depends only on `expected.count` (fixed) and not on the presented bytes'
/// values or on the position of the first mismatch. `@inline(never)` keeps the optimiser from
/// specialising the loop into the caller, where it could see through it.
public enum ConstantTime {
    @inline(never)
    public static func equals(_ presented: [UInt8], _ expected: [UInt8]) -> Bool {
        // Length difference first, without branching on it.
        var difference = UInt64(truncatingIfNeeded: presented.count ^ expected.count)
        let presentedCount = presented.count
        presented.withUnsafeBufferPointer { p in
            expected.withUnsafeBufferPointer { e in
                for i in 0..<e.count {
                    // Past the presented bytes' end, compare against 0. The only condition is
                    // on the presented length, which the client chose and knows anyway.
                    let inRange = i < presentedCount
                    let byte = inRange ? p[i] : 0
                    difference |= UInt64(byte ^ e[i])
                }
            }
        }
        return difference == 0
    }
}
