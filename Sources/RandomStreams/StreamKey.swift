/// The whole key from which a random stream's generator state is derived.
///
/// A key is a sequence of 32-bit words built from typed components (a 64-bit seed, a condition's
/// canonical text, a replicate index, a purpose tag). Each component is written with a type tag
/// and its length, so the word sequence is an injective encoding of the component list: two
/// different (seed, condition, replicate) triples never produce the same key, unlike hashing the
/// triple down to GSL's 32-bit seed (which collides with probability ≈ 0.7 among 10⁵ replicates).
/// The words seed mt19937 through Matsumoto & Nishimura's `init_by_array`, which mixes a key of any
/// length into the full 19 937-bit state.
public struct StreamKey: Sendable, Hashable, CustomStringConvertible {
  public private(set) var words: [UInt32]
  private var parts: [String]

  /// A key with no components.
  public init() {
    words = []
    parts = []
  }

  /// A key of exactly these words (for reproducing published generator outputs in tests).
  public init(rawWords: [UInt32]) {
    words = rawWords
    parts = rawWords.map { String($0) }
  }

  /// The key of replicate `replicate` of a condition (its canonical text) under a study seed:
  /// the stream every method's data in that replicate is drawn from.
  public init(seed: UInt64, condition: String, replicate: Int) {
    self.init()
    self = appending(seed).appending(condition).appending(UInt64(replicate))
  }

  /// This key with a 64-bit integer component appended.
  public func appending(_ value: UInt64) -> StreamKey {
    var k = self
    k.words += [0x494E_5400, UInt32(truncatingIfNeeded: value), UInt32(truncatingIfNeeded: value >> 32)]
    k.parts.append(String(value))
    return k
  }

  /// This key with a text component appended (UTF-8 bytes, packed four to a word, after the length).
  public func appending(_ text: String) -> StreamKey {
    var k = self
    let bytes = Array(text.utf8)
    k.words += [0x5354_5200, UInt32(bytes.count)]
    var i = 0
    while i < bytes.count {
      var w: UInt32 = 0
      for b in 0..<4 where i + b < bytes.count { w |= UInt32(bytes[i + b]) << (8 * UInt32(b)) }
      k.words.append(w)
      i += 4
    }
    k.parts.append(text)
    return k
  }

  public var description: String { parts.joined(separator: "/") }

  public static func == (a: StreamKey, b: StreamKey) -> Bool { a.words == b.words }
  public func hash(into h: inout Hasher) { h.combine(words) }
}
