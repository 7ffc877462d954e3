#pragma once
// Self-signed server certificates, for `l7 tls cert` and for tests: a server in the lab or on
// loopback needs a certificate before any client can connect, and a client trusts it by
// being given the same file (--ca-file) or by --insecure.

#include <filesystem>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace l7::tls {

struct CertificatePair {
    std::string cert_pem;  // "-----BEGIN CERTIFICATE-----"
    std::string key_pem;   // PKCS#8, "-----BEGIN PRIVATE KEY-----"
};

// An EC P-256 key and an X.509 v3 certificate signed by it (SHA-256): subject CN = names[0],
// subjectAltName with every name (DNS: for host names, IP: for IPv4/IPv6 literals; clients
// check the SAN, RFC 6125), CA:FALSE, digitalSignature, serverAuth, a random 128-bit serial,
// valid from an hour ago (clocks disagree) for `days` days. Fails on no names, an empty or
// over-long name, or days outside 1..36500.
Result<CertificatePair> make_self_signed(const std::vector<std::string>& names, int days = 825);

// Writes the key (mode 0600) and the certificate (0644), each through a hidden temporary
// file renamed over the target (replacing any file there, whatever its mode): the key is
// never readable by others, not even for a moment, and a failure leaves an existing pair
// alone. Errors name the file. The result is always true when ok.
Result<bool> write_pair(const CertificatePair& pair, const std::filesystem::path& cert_file,
                        const std::filesystem::path& key_file);

}  // namespace l7::tls
