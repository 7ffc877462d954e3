// make_self_signed() and write_pair(): the certificate is read back with OpenSSL and checked
// the way a client would (names, signature, key), and the files get their modes.

#include "tls/self_signed.hpp"

#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <memory>

#include "tls_files.hpp"

namespace l7::tls {
namespace {

struct Parsed {
    std::unique_ptr<X509, decltype(&X509_free)> cert{nullptr, X509_free};
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key{nullptr, EVP_PKEY_free};
};

Parsed parse(const CertificatePair& pair) {
    Parsed p;
    std::unique_ptr<BIO, decltype(&BIO_free)> cb(
        BIO_new_mem_buf(pair.cert_pem.data(), static_cast<int>(pair.cert_pem.size())), BIO_free);
    p.cert.reset(PEM_read_bio_X509(cb.get(), nullptr, nullptr, nullptr));
    std::unique_ptr<BIO, decltype(&BIO_free)> kb(
        BIO_new_mem_buf(pair.key_pem.data(), static_cast<int>(pair.key_pem.size())), BIO_free);
    p.key.reset(PEM_read_bio_PrivateKey(kb.get(), nullptr, nullptr, nullptr));
    return p;
}

// The subjectAltName entries as "DNS:name" / "IP:<n bytes>".
std::vector<std::string> alt_names(X509* cert) {
    std::vector<std::string> out;
    auto* gens =
        static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (gens == nullptr) {
        return out;
    }
    for (int i = 0; i < sk_GENERAL_NAME_num(gens); ++i) {
        const GENERAL_NAME* g = sk_GENERAL_NAME_value(gens, i);
        if (g->type == GEN_DNS) {
            out.push_back("DNS:" + std::string(reinterpret_cast<const char*>(
                                                   ASN1_STRING_get0_data(g->d.dNSName)),
                                               ASN1_STRING_length(g->d.dNSName)));
        } else if (g->type == GEN_IPADD) {
            out.push_back("IP:" + std::to_string(ASN1_STRING_length(g->d.iPAddress)));
        }
    }
    GENERAL_NAMES_free(gens);
    return out;
}

TEST(SelfSigned, ParsesBackWithNamesSignatureAndMatchingKey) {
    auto pair = make_self_signed({"localhost", "127.0.0.1", "::1", "ftp.example"});
    ASSERT_TRUE(pair) << pair.error().message;
    EXPECT_NE(pair->cert_pem.find("-----BEGIN CERTIFICATE-----"), std::string::npos);
    EXPECT_NE(pair->key_pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
    Parsed p = parse(*pair);
    ASSERT_TRUE(p.cert);
    ASSERT_TRUE(p.key);

    EXPECT_EQ(alt_names(p.cert.get()),
              (std::vector<std::string>{"DNS:localhost", "IP:4", "IP:16", "DNS:ftp.example"}));
    EXPECT_EQ(X509_check_host(p.cert.get(), "localhost", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_host(p.cert.get(), "ftp.example", 0, 0, nullptr), 1);
    EXPECT_NE(X509_check_host(p.cert.get(), "other.example", 0, 0, nullptr), 1);
    EXPECT_EQ(X509_check_ip_asc(p.cert.get(), "127.0.0.1", 0), 1);
    EXPECT_EQ(X509_check_ip_asc(p.cert.get(), "::1", 0), 1);
    EXPECT_NE(X509_check_ip_asc(p.cert.get(), "127.0.0.2", 0), 1);

    char cn[128] = {};
    X509_NAME_get_text_by_NID(X509_get_subject_name(p.cert.get()), NID_commonName, cn, sizeof cn);
    EXPECT_STREQ(cn, "localhost");
    EXPECT_EQ(X509_get_version(p.cert.get()), X509_VERSION_3);
    EXPECT_EQ(X509_check_ca(p.cert.get()), 0);  // not a CA
    EXPECT_EQ(X509_check_purpose(p.cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
    EXPECT_NE(X509_get0_subject_key_id(p.cert.get()), nullptr);
    EXPECT_EQ(X509_get_signature_nid(p.cert.get()), NID_ecdsa_with_SHA256);
    EXPECT_EQ(EVP_PKEY_get_bits(p.key.get()), 256);

    EVP_PKEY* pub = X509_get0_pubkey(p.cert.get());
    EXPECT_EQ(X509_verify(p.cert.get(), pub), 1);
    EXPECT_EQ(X509_check_private_key(p.cert.get(), p.key.get()), 1);
    // Valid now (notBefore an hour back, notAfter 825 days on).
    EXPECT_LT(X509_cmp_current_time(X509_get0_notBefore(p.cert.get())), 0);
    EXPECT_GT(X509_cmp_current_time(X509_get0_notAfter(p.cert.get())), 0);
}

TEST(SelfSigned, SerialsAreRandomAndKeysDiffer) {
    auto a = make_self_signed({"localhost"});
    auto b = make_self_signed({"localhost"});
    ASSERT_TRUE(a && b);
    Parsed pa = parse(*a);
    Parsed pb = parse(*b);
    ASSERT_TRUE(pa.cert && pb.cert);
    EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(pa.cert.get()),
                               X509_get0_serialNumber(pb.cert.get())),
              0);
    EXPECT_EQ(ASN1_STRING_length(X509_get0_serialNumber(pa.cert.get())), 16);
    EXPECT_NE(X509_check_private_key(pa.cert.get(), pb.key.get()), 1);
}

TEST(SelfSigned, RefusesBadInput) {
    EXPECT_FALSE(make_self_signed({}));
    EXPECT_FALSE(make_self_signed({""}));
    EXPECT_FALSE(make_self_signed({"two words"}));
    EXPECT_FALSE(make_self_signed({"localhost", "bad\nname"}));
    EXPECT_FALSE(make_self_signed({std::string(65, 'a')}));  // too long for the CN
    EXPECT_FALSE(make_self_signed({"localhost"}, 0));
    auto r = make_self_signed({});
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("name"), std::string::npos);
}

using WritePair = testing::TempDir;

mode_t mode_of(const std::filesystem::path& p) {
    struct stat st {};
    EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
    return st.st_mode & 07777;
}

TEST_F(WritePair, WritesKeyPrivateAndCertificateReadable) {
    auto pair = make_self_signed({"localhost"});
    ASSERT_TRUE(pair);
    // A key file that exists with a wide mode is narrowed.
    { std::ofstream(dir_ / "key.pem") << "old"; }
    std::filesystem::permissions(dir_ / "key.pem", std::filesystem::perms(0666));
    auto r = write_pair(*pair, dir_ / "cert.pem", dir_ / "key.pem");
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(mode_of(dir_ / "key.pem"), 0600u);
    EXPECT_EQ(mode_of(dir_ / "cert.pem"), 0644u);  // fchmod: whatever the umask
    std::ifstream key(dir_ / "key.pem");
    std::string text((std::istreambuf_iterator<char>(key)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text, pair->key_pem);
}

TEST_F(WritePair, UnwritablePathFailsNamingTheFile) {
    auto pair = make_self_signed({"localhost"});
    ASSERT_TRUE(pair);
    const auto missing = dir_ / "no-such-dir" / "cert.pem";
    auto r = write_pair(*pair, missing, dir_ / "key.pem");
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find(missing.string()), std::string::npos) << r.error().message;
    const auto bad_key = dir_ / "no-such-dir" / "key.pem";
    auto k = write_pair(*pair, dir_ / "cert.pem", bad_key);
    ASSERT_FALSE(k);
    EXPECT_NE(k.error().message.find(bad_key.string()), std::string::npos) << k.error().message;
}

TEST_F(WritePair, FailureLeavesAnExistingPairAlone) {
    write_new_pair("old", {"localhost"});
    std::ifstream in(dir_ / "old.key");
    const std::string old_key((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    auto pair = make_self_signed({"localhost"});
    ASSERT_TRUE(pair);
    // The key's directory is fine, the certificate's is not: nothing may change.
    auto r = write_pair(*pair, dir_ / "no-such-dir" / "old.pem", dir_ / "old.key");
    ASSERT_FALSE(r);
    std::ifstream again(dir_ / "old.key");
    const std::string key_now((std::istreambuf_iterator<char>(again)),
                              std::istreambuf_iterator<char>());
    EXPECT_EQ(key_now, old_key);
    // No temporary file is left behind.
    std::size_t files = 0;
    for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir_)) {
        ++files;
    }
    EXPECT_EQ(files, 2u);  // old.pem, old.key
}

}  // namespace
}  // namespace l7::tls
