#include "tls/self_signed.hpp"

#include <arpa/inet.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <optional>

#include "core/staged_file.hpp"
#include "tls/openssl_error.hpp"

namespace l7::tls {
namespace {

template <class T, void (*Free)(T*)>
struct Deleter {
    void operator()(T* p) const { Free(p); }
};
template <class T, void (*Free)(T*)>
using Owned = std::unique_ptr<T, Deleter<T, Free>>;

using Key = Owned<EVP_PKEY, EVP_PKEY_free>;
using Cert = Owned<X509, X509_free>;
using Bio = Owned<BIO, BIO_free_all>;
using Bignum = Owned<BIGNUM, BN_free>;
using Names = Owned<GENERAL_NAMES, GENERAL_NAMES_free>;
using Extension = Owned<X509_EXTENSION, X509_EXTENSION_free>;

Error failed(const std::string& what) {
    return make_error("cannot make the certificate: " + what + ": " + last_openssl_error());
}

// RFC 1035 limits a name to 253 characters; we also refuse what could never be a host name
// or address (spaces, controls, non-ASCII) rather than put it in a certificate.
bool plausible_name(const std::string& name) {
    if (name.empty() || name.size() > 253) {
        return false;
    }
    for (unsigned char c : name) {
        if (c <= 0x20 || c >= 0x7f) {
            return false;
        }
    }
    return true;
}

// 4 or 16 bytes when `name` is an IPv4 or IPv6 literal, else empty.
std::string ip_bytes(const std::string& name) {
    unsigned char buf[16];
    if (inet_pton(AF_INET, name.c_str(), buf) == 1) {
        return std::string(reinterpret_cast<char*>(buf), 4);
    }
    if (inet_pton(AF_INET6, name.c_str(), buf) == 1) {
        return std::string(reinterpret_cast<char*>(buf), 16);
    }
    return {};
}

// The SAN built from parts, not from a "DNS:a,IP:b" config string, so no name can inject
// another entry.
Result<bool> add_alt_names(X509* cert, const std::vector<std::string>& names) {
    Names gens(GENERAL_NAMES_new());
    if (!gens) {
        return failed("subjectAltName");
    }
    for (const std::string& name : names) {
        const std::string ip = ip_bytes(name);
        const bool is_ip = !ip.empty();
        const std::string& data = is_ip ? ip : name;
        ASN1_STRING* value = is_ip ? ASN1_OCTET_STRING_new() : ASN1_IA5STRING_new();
        GENERAL_NAME* gen = GENERAL_NAME_new();
        if (value == nullptr || gen == nullptr ||
            ASN1_STRING_set(value, data.data(), static_cast<int>(data.size())) != 1) {
            ASN1_STRING_free(value);
            GENERAL_NAME_free(gen);
            return failed("subjectAltName");
        }
        GENERAL_NAME_set0_value(gen, is_ip ? GEN_IPADD : GEN_DNS, value);
        if (sk_GENERAL_NAME_push(gens.get(), gen) == 0) {
            GENERAL_NAME_free(gen);
            return failed("subjectAltName");
        }
    }
    if (X509_add1_ext_i2d(cert, NID_subject_alt_name, gens.get(), 0, X509V3_ADD_DEFAULT) != 1) {
        return failed("subjectAltName");
    }
    return true;
}

Result<bool> add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
    Extension ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
        return failed(OBJ_nid2sn(nid));
    }
    return true;
}

Result<std::string> to_pem(const std::string& what, int (*write)(BIO*, void*), void* object) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || write(bio.get(), object) != 1) {
        return failed(what);
    }
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

int write_cert(BIO* bio, void* cert) {
    return PEM_write_bio_X509(bio, static_cast<X509*>(cert));
}

int write_key(BIO* bio, void* key) {
    return PEM_write_bio_PrivateKey(bio, static_cast<EVP_PKEY*>(key), nullptr, nullptr, 0, nullptr,
                                    nullptr);
}

// The text in a hidden temporary file beside `file`, with its final mode, not yet in place.
Result<StagedFile> stage(const std::filesystem::path& file, const std::string& text, mode_t mode) {
    const auto fail = [&](const char* what, const std::error_code& ec) {
        return make_error(file.string() + ": cannot " + what + ": " + ec.message());
    };
    const std::filesystem::path dir = file.has_parent_path() ? file.parent_path() : ".";
    std::error_code ec;
    std::optional<StagedFile> staged = StagedFile::create(dir, ec);
    if (!staged) {
        return fail("create it", ec);
    }
    if ((ec = staged->set_mode(mode)) || (ec = staged->write(text))) {
        return fail("write it", ec);
    }
    return std::move(*staged);
}

}  // namespace

Result<CertificatePair> make_self_signed(const std::vector<std::string>& names, int days) {
    if (names.empty()) {
        return make_error("a certificate needs at least one name (a host name or an address)");
    }
    for (const std::string& name : names) {
        if (!plausible_name(name)) {
            return make_error("'" + name +
                              "' cannot be a certificate name: give a host name or an IP "
                              "address, up to 253 characters without spaces");
        }
    }
    // ub-common-name (RFC 5280 appendix A): the CN holds at most 64 characters.
    if (names[0].size() > 64) {
        return make_error("the first name '" + names[0] +
                          "' becomes the common name, which holds at most 64 characters; put a "
                          "shorter name first");
    }
    if (days < 1 || days > 36500) {
        return make_error("the validity must be from 1 to 36500 days, not " + std::to_string(days));
    }

    Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
    if (!key) {
        return failed("the P-256 key");
    }
    Cert cert(X509_new());
    if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
        return failed("X509_new");
    }

    // A random positive 128-bit serial (RFC 5280 4.1.2.2: at most 20 octets, positive).
    unsigned char serial[16];
    if (RAND_bytes(serial, sizeof serial) != 1) {
        return failed("the serial number");
    }
    serial[0] &= 0x7f;
    serial[0] |= 0x40;  // keeps the full 16 bytes (no leading zero octet dropped)
    Bignum bn(BN_bin2bn(serial, sizeof serial, nullptr));
    if (!bn || BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert.get())) == nullptr) {
        return failed("the serial number");
    }

    // From an hour ago: a client whose clock is a little behind still accepts it.
    if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
        X509_time_adj_ex(X509_getm_notAfter(cert.get()), days, 0, nullptr) == nullptr) {
        return failed("the validity");
    }

    X509_NAME* subject = X509_get_subject_name(cert.get());
    if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                   reinterpret_cast<const unsigned char*>(names[0].c_str()), -1, -1,
                                   0) != 1 ||
        X509_set_issuer_name(cert.get(), subject) != 1 ||
        X509_set_pubkey(cert.get(), key.get()) != 1) {
        return failed("the subject");
    }

    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
    for (auto r : {add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"),
                   add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"),
                   add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth"),
                   add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash"),
                   add_alt_names(cert.get(), names)}) {
        if (!r) {
            return r.error();
        }
    }

    if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
        return failed("the signature");
    }

    auto cert_pem = to_pem("the certificate PEM", write_cert, cert.get());
    if (!cert_pem) {
        return cert_pem.error();
    }
    auto key_pem = to_pem("the key PEM", write_key, key.get());
    if (!key_pem) {
        return key_pem.error();
    }
    return CertificatePair{std::move(cert_pem).value(), std::move(key_pem).value()};
}

Result<bool> write_pair(const CertificatePair& pair, const std::filesystem::path& cert_file,
                        const std::filesystem::path& key_file) {
    // Both files are written beside their targets before either is replaced, so a failure
    // (a missing directory, a full disk) leaves an existing pair as it was, not a new key
    // beside an old certificate.
    auto key = stage(key_file, pair.key_pem, 0600);
    if (!key) {
        return key.error();
    }
    auto cert = stage(cert_file, pair.cert_pem, 0644);
    if (!cert) {
        return cert.error();
    }
    if (const std::error_code ec = key->replace(key_file)) {
        return make_error(key_file.string() + ": cannot write it: " + ec.message());
    }
    if (const std::error_code ec = cert->replace(cert_file)) {
        return make_error(cert_file.string() + ": cannot write it: " + ec.message());
    }
    return true;
}

}  // namespace l7::tls
