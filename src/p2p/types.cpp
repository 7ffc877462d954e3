#include "p2p/types.hpp"

#include <openssl/evp.h>

#include <new>

#include "core/hex.hpp"

namespace l7::p2p {

std::string to_hex(const Sha1& hash) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(40);
    for (std::uint8_t b : hash) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

bool from_hex(std::string_view text, Sha1& out) {
    if (text.size() != 40) {
        return false;
    }
    Sha1 parsed{};
    for (std::size_t i = 0; i < 20; ++i) {
        const int hi = hex_digit_value(text[2 * i]);
        const int lo = hex_digit_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return false;
        }
        parsed[i] = static_cast<std::uint8_t>(hi * 16 + lo);
    }
    out = parsed;
    return true;
}

std::string to_bytes(const Sha1& hash) {
    return std::string(reinterpret_cast<const char*>(hash.data()), hash.size());
}

bool from_bytes(std::string_view bytes, Sha1& out) {
    if (bytes.size() != 20) {
        return false;
    }
    for (std::size_t i = 0; i < 20; ++i) {
        out[i] = static_cast<std::uint8_t>(bytes[i]);
    }
    return true;
}

Sha1 sha1(std::string_view data) {
    Sha1Hasher h;
    h.update(data);
    return h.finish();
}

Sha1Hasher::Sha1Hasher() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr ||
        EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha1(), nullptr) != 1) {
        EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
        throw std::bad_alloc();
    }
}

Sha1Hasher::~Sha1Hasher() {
    EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_));
}

void Sha1Hasher::update(std::string_view data) {
    EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

Sha1 Sha1Hasher::finish() {
    Sha1 out{};
    unsigned int n = 0;
    auto* ctx = static_cast<EVP_MD_CTX*>(ctx_);
    EVP_DigestFinal_ex(ctx, out.data(), &n);
    EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr);
    return out;
}

}  // namespace l7::p2p
