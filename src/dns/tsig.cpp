#include "dns/tsig.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "dns/message.hpp"
#include "dns/wire.hpp"

namespace l7::dns {
namespace {

const EVP_MD* digest_for(const Name& algorithm) {
    const std::string a = algorithm.lowercased().to_text();
    if (a == "hmac-sha256.") {
        return EVP_sha256();
    }
    if (a == "hmac-sha1.") {
        return EVP_sha1();
    }
    if (a == "hmac-sha384.") {
        return EVP_sha384();
    }
    if (a == "hmac-sha512.") {
        return EVP_sha512();
    }
    return nullptr;
}

void put16(Bytes& b, std::uint16_t v) {
    b.push_back(static_cast<std::uint8_t>(v >> 8));
    b.push_back(static_cast<std::uint8_t>(v));
}

void put48(Bytes& b, std::uint64_t v) {
    for (int shift = 40; shift >= 0; shift -= 8) {
        b.push_back(static_cast<std::uint8_t>(v >> shift));
    }
}

void append(Bytes& b, std::span<const std::uint8_t> data) {
    b.insert(b.end(), data.begin(), data.end());
}

void append(Bytes& b, std::string_view data) {
    append(b, std::span(reinterpret_cast<const std::uint8_t*>(data.data()), data.size()));
}

// RFC 8945 section 4.3.3: the TSIG variables, names in canonical (lowercase) form.
void append_variables(Bytes& b, const Name& key, const Name& algorithm, std::uint64_t time_signed,
                      std::uint16_t fudge, std::uint16_t error,
                      std::span<const std::uint8_t> other) {
    append(b, key.lowercased().wire());
    put16(b, to_int(RRClass::ANY));
    b.insert(b.end(), {0, 0, 0, 0});  // TTL
    append(b, algorithm.lowercased().wire());
    put48(b, time_signed);
    put16(b, fudge);
    put16(b, error);
    put16(b, static_cast<std::uint16_t>(other.size()));
    append(b, other);
}

Bytes hmac(const EVP_MD* md, std::span<const std::uint8_t> secret,
           std::span<const std::uint8_t> data) {
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(md, secret.data(), static_cast<int>(secret.size()), data.data(), data.size(), out, &len);
    return Bytes(out, out + len);
}

// Constant-time comparison: the MAC check must not leak how many bytes matched.
bool same_mac(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
    if (a.size() != b.size()) {
        return false;
    }
    unsigned diff = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        diff |= static_cast<unsigned>(a[i] ^ b[i]);
    }
    return diff == 0;
}

// The offset of the last record of the message, and the record count before it.
std::optional<std::size_t> last_record_offset(std::span<const std::uint8_t> message) {
    const auto h = read_header(message);
    if (!h || h->arcount == 0) {
        return std::nullopt;
    }
    WireReader r(message, kHeaderSize);
    char name[kMaxNameWire];
    for (unsigned i = 0; i < h->qdcount; ++i) {
        (void)r.name(name);
        r.skip(4);
    }
    const unsigned records = h->ancount + h->nscount + h->arcount;
    std::size_t last = 0;
    for (unsigned i = 0; i < records; ++i) {
        last = r.pos();
        (void)r.name(name);
        r.skip(8);
        r.skip(r.u16());
    }
    if (!r.ok() || r.remaining() != 0) {
        return std::nullopt;
    }
    return last;
}

}  // namespace

Result<TsigKey> parse_tsig_key(std::string_view text) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    while (true) {
        const auto colon = text.find(':', start);
        parts.push_back(
            text.substr(start, colon == std::string_view::npos ? colon : colon - start));
        if (colon == std::string_view::npos) {
            break;
        }
        start = colon + 1;
    }
    if (parts.size() < 2 || parts.size() > 3) {
        return make_error("a TSIG key is NAME:SECRET or ALGORITHM:NAME:SECRET (secret in base64)");
    }
    const std::string_view algorithm = parts.size() == 3 ? parts[0] : "hmac-sha256";
    auto alg = Name::parse(std::string(algorithm));
    auto name = Name::parse(std::string(parts[parts.size() - 2]));
    if (!alg || !digest_for(*alg)) {
        return make_error("unknown TSIG algorithm '" + std::string(algorithm) +
                          "' (hmac-sha256, hmac-sha1, hmac-sha384, hmac-sha512)");
    }
    if (!name) {
        return make_error("bad TSIG key name: " + name.error().message);
    }
    auto secret = base64_decode(parts.back());
    if (!secret || secret->empty()) {
        return make_error("the TSIG secret is not base64");
    }
    return TsigKey{*name, *alg, std::move(*secret)};
}

const TsigKey* TsigKeyring::find(const Name& name) const {
    for (const TsigKey& k : keys_) {
        if (k.name == name) {
            return &k;
        }
    }
    return nullptr;
}

Result<Bytes> tsig_sign(std::span<const std::uint8_t> message, const TsigKey& key,
                        std::uint64_t now, std::span<const std::uint8_t> request_mac,
                        std::uint16_t error, std::span<const std::uint8_t> other, Bytes* mac_out) {
    const EVP_MD* md = digest_for(key.algorithm);
    const auto h = read_header(message);
    if (md == nullptr || !h) {
        return make_error("cannot sign: unknown algorithm or no message");
    }
    Bytes data;
    if (!request_mac.empty()) {
        put16(data, static_cast<std::uint16_t>(request_mac.size()));
        append(data, request_mac);
    }
    append(data, message);
    append_variables(data, key.name, key.algorithm, now, kDefaultFudge, error, other);
    // A BADKEY or BADSIG reply carries no MAC (RFC 8945 section 5.3.2).
    const bool unsigned_error = error == static_cast<std::uint16_t>(Rcode::BADKEY) ||
                                error == static_cast<std::uint16_t>(Rcode::BADSIG);
    const Bytes mac = unsigned_error ? Bytes() : hmac(md, key.secret, data);
    if (mac_out != nullptr) {
        *mac_out = mac;
    }
    Bytes out(message.begin(), message.end());
    append(out, key.name.wire());
    put16(out, to_int(RRType::TSIG));
    put16(out, to_int(RRClass::ANY));
    out.insert(out.end(), {0, 0, 0, 0});
    Bytes rdata;
    append(rdata, key.algorithm.lowercased().wire());
    put48(rdata, now);
    put16(rdata, kDefaultFudge);
    put16(rdata, static_cast<std::uint16_t>(mac.size()));
    append(rdata, mac);
    put16(rdata, h->id);
    put16(rdata, error);
    put16(rdata, static_cast<std::uint16_t>(other.size()));
    append(rdata, other);
    put16(out, static_cast<std::uint16_t>(rdata.size()));
    append(out, rdata);
    const std::uint16_t arcount = static_cast<std::uint16_t>(h->arcount + 1);
    out[10] = static_cast<std::uint8_t>(arcount >> 8);
    out[11] = static_cast<std::uint8_t>(arcount);
    return out;
}

TsigCheck tsig_verify(std::span<const std::uint8_t> message, const TsigKeyring& keys,
                      std::uint64_t now, std::span<const std::uint8_t> request_mac) {
    TsigCheck check;
    const auto at = last_record_offset(message);
    if (!at) {
        return check;
    }
    WireReader r(message, *at);
    std::string owner;
    if (!r.name(owner)) {
        return check;
    }
    const auto type = static_cast<RRType>(r.u16());
    if (type != RRType::TSIG) {
        return check;  // unsigned (a TSIG record anywhere else is caught by the caller's parse)
    }
    check.present = true;
    check.unsigned_size = *at;
    check.key_name = *Name::from_wire(owner);
    const auto klass = static_cast<RRClass>(r.u16());
    r.skip(4);  // TTL
    const std::uint16_t rdlength = r.u16();
    const std::size_t rdata_end = r.pos() + rdlength;
    std::string algorithm_wire;
    (void)r.name(algorithm_wire);
    const std::uint64_t time_signed = r.u48();
    const std::uint16_t fudge = r.u16();
    const auto mac = r.bytes(r.u16());
    const std::uint16_t original_id = r.u16();
    const std::uint16_t error = r.u16();
    const auto other = r.bytes(r.u16());
    if (!r.ok() || r.pos() != rdata_end || klass != RRClass::ANY) {
        check.rcode = Rcode::FORMERR;
        return check;
    }
    check.time_signed = time_signed;
    check.reported_error = static_cast<Rcode>(error);
    check.mac.assign(mac.begin(), mac.end());
    const TsigKey* key = keys.find(check.key_name);
    const auto algorithm = Name::from_wire(algorithm_wire);
    if (algorithm) {
        check.algorithm = *algorithm;
    }
    if (key == nullptr || !algorithm || !(*algorithm == key->algorithm)) {
        check.rcode = Rcode::NOTAUTH;
        check.error = Rcode::BADKEY;
        return check;
    }
    check.key = key;
    const EVP_MD* md = digest_for(key->algorithm);
    if (md == nullptr) {  // a key made by hand with an algorithm we cannot compute
        check.rcode = Rcode::NOTAUTH;
        check.error = Rcode::BADKEY;
        return check;
    }
    const std::size_t full = static_cast<std::size_t>(EVP_MD_get_size(md));
    // RFC 8945 section 5.2.2.1: a truncated MAC must keep at least half, and 10 bytes.
    if (mac.size() > full || mac.size() < std::max<std::size_t>(10, full / 2)) {
        check.rcode = Rcode::FORMERR;
        return check;
    }
    Bytes data;
    if (!request_mac.empty()) {
        put16(data, static_cast<std::uint16_t>(request_mac.size()));
        append(data, request_mac);
    }
    const std::size_t start = data.size();
    append(data, message.first(*at));
    // The message as it was before signing: its original id, one record fewer.
    data[start] = static_cast<std::uint8_t>(original_id >> 8);
    data[start + 1] = static_cast<std::uint8_t>(original_id);
    const auto h = read_header(message);
    const std::uint16_t arcount = static_cast<std::uint16_t>(h->arcount - 1);
    data[start + 10] = static_cast<std::uint8_t>(arcount >> 8);
    data[start + 11] = static_cast<std::uint8_t>(arcount);
    append_variables(data, check.key_name, *algorithm, time_signed, fudge, error, other);
    const Bytes expected = hmac(md, key->secret, data);
    if (!same_mac(std::span(expected).first(mac.size()), mac)) {
        check.rcode = Rcode::NOTAUTH;
        check.error = Rcode::BADSIG;
        return check;
    }
    // Time is checked after the MAC, so a forged time cannot probe the clock (5.2.3).
    const std::uint64_t skew = now > time_signed ? now - time_signed : time_signed - now;
    if (skew > fudge) {
        check.rcode = Rcode::NOTAUTH;
        check.error = Rcode::BADTIME;
    }
    return check;
}

}  // namespace l7::dns
