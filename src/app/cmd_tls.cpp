// `l7 tls`: TLS tools. `cert` makes a self-signed certificate and key for l7's servers (FTP
// AUTH TLS first), so that a lab or loopback setup needs no CA.

#include <iostream>
#include <stdexcept>

#include "app/cli.hpp"
#include "tls/self_signed.hpp"

namespace l7::app {
namespace {

struct TlsCertFlags {
    std::vector<std::string> names;
    std::string cert_file;
    std::string key_file;
    int days = 825;
};

int run_tls_cert(const TlsCertFlags& f) {
    auto pair = tls::make_self_signed(f.names, f.days);
    if (!pair) {
        // Only the names and --days can make it fail short of an OpenSSL fault: usage.
        throw UsageError(pair.error().message);
    }
    if (auto written = tls::write_pair(*pair, f.cert_file, f.key_file); !written) {
        // main() prints it as one sentence, exit status 1.
        throw std::runtime_error(written.error().message);
    }
    std::string names;
    for (const std::string& n : f.names) {
        names += (names.empty() ? "" : ", ") + n;
    }
    std::cerr << "wrote " << f.cert_file << " (self-signed for " << names << ", valid " << f.days
              << " days) and its key " << f.key_file << " (mode 0600)\n";
    return 0;
}

void add_tls_cert(CLI::App& tls_cmd, Context& ctx) {
    auto f = std::make_shared<TlsCertFlags>();
    auto* cmd = tls_cmd.add_subcommand("cert", "Make a self-signed certificate and its key");
    cmd->add_option("--name", f->names,
                    "A host name or IP address the certificate is for (repeatable; the first "
                    "is also the subject's common name)")
        ->type_name("NAME")
        ->required();
    cmd->add_option("--cert", f->cert_file, "Where to write the certificate (PEM, mode 0644)")
        ->type_name("FILE")
        ->required();
    cmd->add_option("--key", f->key_file,
                    "Where to write the private key (PEM, PKCS#8, mode 0600; replaced if it "
                    "exists)")
        ->type_name("FILE")
        ->required();
    cmd->add_option("--days", f->days, "How long the certificate is valid")
        ->type_name("N")
        ->capture_default_str()
        ->check(CLI::Range(1, 36500));
    cmd->footer(R"(Makes a new EC P-256 key and an X.509 v3 certificate signed by that same key
(SHA-256), for an l7 server on loopback or in the lab. Every --name goes into the
certificate's subjectAltName, which clients check against the name they connected to
(RFC 6125): host names as DNS entries, IPv4 and IPv6 addresses as IP entries. The
certificate is for servers only (CA:FALSE, serverAuth), valid from an hour ago (clocks
differ) for --days days.

No CA vouches for a self-signed certificate: a client trusts it when given the
certificate file itself (curl --cacert cert.pem, l7's --ca-file cert.pem) or when told
not to check (curl -k, l7's --insecure). Keep the key file private; the certificate
may be handed to anyone.

Exit status: 0 written, 1 a file could not be written, 2 usage (a bad name or --days).

Examples:
  l7 tls cert --name localhost --name 127.0.0.1 --cert cert.pem --key key.pem
  l7 tls cert --name ftp.hamburger.edu --name 10.0.0.21 --days 90 --cert ftp.pem --key ftp.key
  openssl x509 -in cert.pem -noout -text       # look inside)");
    cmd->callback([f, &ctx] { ctx.action = [f] { return run_tls_cert(*f); }; });
    add_env_names(*cmd, "tls");
}

}  // namespace

void register_tls_commands(CLI::App& root, Context& ctx) {
    auto* tls = root.add_subcommand("tls", "TLS: certificates for l7's servers");
    tls->require_subcommand(1);
    add_tls_cert(*tls, ctx);
}

}  // namespace l7::app
