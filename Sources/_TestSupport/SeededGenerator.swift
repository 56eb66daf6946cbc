/// A deterministic random number generator (SplitMix64), so that property tests and random-write tests replay
/// the same sequence from the same seed.
public struct SeededGenerator: RandomNumberGenerator {
    /// The generator's state (the seed, advanced by each draw).
    public var state: UInt64
    /// A generator that replays the sequence of `seed`.
    public init(seed: UInt64) { state = seed }
    /// The next number of the sequence (SplitMix64).
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
