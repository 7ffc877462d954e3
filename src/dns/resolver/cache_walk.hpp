#pragma once
// Answering a question from the cache alone: the RRset asked for, or the CNAME chain the cache
// knows followed as far as it goes (RFC 1034 section 4.3.2 step 3a, done by a resolver).
// The recursive service answers cache hits with it without starting a resolution, and a
// resolution starts with it.

#include <vector>

#include "core/time.hpp"
#include "dns/message.hpp"
#include "dns/resolver/shared_cache.hpp"

namespace l7::dns {

struct CacheWalk {
    Name sname;                             // where the chain stops: the name still to resolve
    std::vector<ResourceRecord> answers;    // the CNAMEs followed, then the answer if complete
    std::vector<ResourceRecord> authority;  // the SOA of a negative answer
    Rcode rcode = Rcode::NOERROR;
    int cnames = 0;
    bool complete = false;  // answered, positively or negatively, from the cache alone
    bool too_long = false;  // more than max_cnames CNAMEs: the resolver answers SERVFAIL
    bool stale = false;     // some of it was expired data, served under RFC 8767
    bool prefetch = false;  // the answer is popular and near expiry: refresh it
};

// Glue and referral data guide resolution but never answer a client (RFC 2181 5.4.1), so
// only data of Trust::answer and above counts here.
CacheWalk walk_cache(SharedCache& cache, const Name& name, RRType type, TimePoint now,
                     int max_cnames, bool allow_stale = false);

}  // namespace l7::dns
