#pragma once
// TSIG, transaction signatures with a shared secret (RFC 8945): how an update is
// authenticated. Sans-I/O: the caller passes the current time; HMAC comes from OpenSSL.
//
// A signed message ends with a TSIG record (owner: the key's name, class ANY) whose MAC
// covers the message without that record and the TSIG variables (section 4.3.3). A response's
// MAC also covers the request's MAC (section 4.3.1), which ties the two together.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "dns/encoding.hpp"
#include "dns/name.hpp"
#include "dns/types.hpp"

namespace l7::dns {

struct TsigKey {
    Name name;
    Name algorithm;  // hmac-sha256. (also hmac-sha1., hmac-sha384., hmac-sha512.)
    Bytes secret;
};

// "NAME:BASE64" (HMAC-SHA256) or "ALGORITHM:NAME:BASE64", the form nsupdate -y takes.
Result<TsigKey> parse_tsig_key(std::string_view text);

class TsigKeyring {
  public:
    void add(TsigKey key) { keys_.push_back(std::move(key)); }
    const TsigKey* find(const Name& name) const;
    bool empty() const { return keys_.empty(); }

  private:
    std::vector<TsigKey> keys_;
};

inline constexpr std::uint16_t kDefaultFudge = 300;

struct TsigSignature {
    Bytes mac;
};

// Appends a TSIG record to `message` (a complete message without one) and bumps ARCOUNT.
// `request_mac`: for a response, the MAC of the request it answers. `error` and `other` are
// the TSIG error and other data (BADTIME puts the server's time there).
Result<Bytes> tsig_sign(std::span<const std::uint8_t> message, const TsigKey& key,
                        std::uint64_t now, std::span<const std::uint8_t> request_mac = {},
                        std::uint16_t error = 0, std::span<const std::uint8_t> other = {},
                        Bytes* mac_out = nullptr);

struct TsigCheck {
    bool present = false;          // the message carries a TSIG record
    Rcode rcode = Rcode::NOERROR;  // NOERROR, FORMERR or NOTAUTH
    Rcode error = Rcode::NOERROR;  // BADSIG, BADKEY, BADTIME (in the TSIG record of the reply)
    const TsigKey* key = nullptr;  // the key that verified (or was named)
    Name key_name;
    Name algorithm;
    Bytes mac;                              // the request's MAC, for signing the response
    Rcode reported_error = Rcode::NOERROR;  // the error field of the record (in a reply)
    std::uint64_t time_signed = 0;
    std::size_t unsigned_size = 0;  // bytes before the TSIG record
};

// Checks the TSIG record of `message`, if any (RFC 8945 section 5.2).
TsigCheck tsig_verify(std::span<const std::uint8_t> message, const TsigKeyring& keys,
                      std::uint64_t now, std::span<const std::uint8_t> request_mac = {});

}  // namespace l7::dns
