#pragma once
// The identities BitTorrent passes around: a torrent's info-hash and a peer's id, both 20
// bytes (BEP 3), and a piece's SHA-1.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace l7::p2p {

using Sha1 = std::array<std::uint8_t, 20>;
using InfoHash = Sha1;
using PeerId = std::array<std::uint8_t, 20>;

// A block is the unit of request/piece messages: 16 KiB, the size every client uses and
// the largest most accept (BEP 3 "request" notes).
inline constexpr std::uint32_t kBlockSize = 16 * 1024;

// 40 lowercase hex digits.
std::string to_hex(const Sha1& hash);
// From 40 hex digits (either case); false when `text` is not that.
bool from_hex(std::string_view text, Sha1& out);
// The 20 raw bytes as a string (for bencoded fields and the wire).
std::string to_bytes(const Sha1& hash);
// From exactly 20 raw bytes; false otherwise.
bool from_bytes(std::string_view bytes, Sha1& out);

// SHA-1 of `data` (OpenSSL).
Sha1 sha1(std::string_view data);

// Incremental SHA-1, for hashing pieces as they stream past.
class Sha1Hasher {
  public:
    Sha1Hasher();
    ~Sha1Hasher();
    Sha1Hasher(const Sha1Hasher&) = delete;
    Sha1Hasher& operator=(const Sha1Hasher&) = delete;
    void update(std::string_view data);
    // The digest of everything given since construction or the last finish(); starts over.
    Sha1 finish();

  private:
    void* ctx_;  // EVP_MD_CTX, kept out of this header
};

}  // namespace l7::p2p
