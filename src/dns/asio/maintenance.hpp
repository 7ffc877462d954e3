#pragma once
// Keeping zones in step across servers (the course's primary and secondary servers):
//
//   - each secondary zone checks its primary's SOA every `refresh` seconds (or `retry` after a
//     failure), transfers the zone by IXFR or AXFR when the serial moved (RFC 1034 4.3.5,
//     RFC 1995, RFC 5936), and answers SERVFAIL for it once `expire` passes without contact;
//   - a NOTIFY from the primary (RFC 1996) starts the check at once;
//   - when a zone changes here, its notify targets get a NOTIFY, retried until acknowledged.
//
// All of it runs as tasks on the runtime's first worker.

#include <memory>

#include "core/trace/tracer.hpp"
#include "dns/asio/zone_store.hpp"
#include "dns/notify.hpp"
#include "net/runtime.hpp"

namespace l7::dns {

class ZoneMaintenance {
  public:
    ZoneMaintenance(net::Runtime& runtime, std::shared_ptr<ZoneStore> store, trace::Tracer& tracer);
    ~ZoneMaintenance();

    // Starts the secondaries' refresh tasks and the NOTIFY sender.
    void start();
    // A NOTIFY arrived (from any worker thread): NOERROR and a refresh soon when it names one
    // of our secondary zones and comes from its primary, else NOTAUTH or REFUSED.
    Rcode notified(const NotifyRequest& request, const asio::ip::address& from);

    struct State;

  private:
    net::Runtime& runtime_;
    std::shared_ptr<ZoneStore> store_;
    trace::Tracer& tracer_;
    std::vector<std::shared_ptr<State>> secondaries_;
};

}  // namespace l7::dns
