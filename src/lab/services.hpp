#pragma once
// The kinds of service a lab host can run. Each kind says how to check its settings, how to
// start it on the runtime, and how `l7 lab --check` probes it with l7's own client. Each
// protocol module adds its kinds here as it lands.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/endpoint.hpp"
#include "core/result.hpp"
#include "core/trace/tracer.hpp"
#include "net/runtime.hpp"

namespace l7::lab {

// What a starting (or checked) service may ask of the lab: where another host's service
// listens (a DNS secondary's primary, the targets of its NOTIFY, a mail check's reader), its
// settings, and where a port of its own settings really is (ports move with the lab's
// privileged-port offset, as the service's own port does).
struct StartContext {
    std::function<std::optional<HostPort>(const std::string& host, const std::string& kind)> find;
    std::function<const config::Table*(const std::string& host, const std::string& kind)> settings;
    std::function<std::uint16_t(std::uint16_t configured)> effective_port;
};

struct ServiceKind {
    std::string name;      // "udp-uppercase"
    std::string protocol;  // transport for the endpoint table: "udp" or "tcp"
    std::string summary;   // one line for --help and the table
    // Throws config::ConfigError for a bad setting.
    std::function<void(const config::Table& settings)> validate;
    std::function<void(net::Runtime&, const HostPort& endpoint, const config::Table& settings,
                       trace::Tracer&, const StartContext&)>
        start;
    // Returns what it saw on success ("HELLO LAB"), or what went wrong.
    std::function<Result<std::string>(const HostPort& endpoint, const config::Table& settings)>
        probe;
    // Instead of probe, for a check that involves other hosts' services.
    std::function<Result<std::string>(const HostPort& endpoint, const config::Table& settings,
                                      const StartContext& context)>
        probe_in_lab;
};

const std::vector<ServiceKind>& service_kinds();
// The authoritative DNS server kind (lab/dns_service.cpp).
ServiceKind dns_service();
// The recursive resolver kind (lab/dns_resolver_service.cpp).
ServiceKind dns_resolver_service();
// The web server kind, with virtual hosts and an optional access link (lab/http_service.cpp).
ServiceKind http_service();
// The mail server kind: SMTP, submission, the queue, POP3 and IMAP (lab/mail_service.cpp).
ServiceKind mail_service();
// The FTP server kind: anonymous read-only area, a writable area per user (lab/ftp_service.cpp).
ServiceKind ftp_service();
// The BitTorrent tracker and seed kinds (lab/torrent_service.cpp).
ServiceKind torrent_tracker_service();
ServiceKind torrent_seed_service();
const ServiceKind* find_service_kind(const std::string& name);

}  // namespace l7::lab
