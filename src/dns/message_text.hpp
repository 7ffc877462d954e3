#pragma once
// Messages and records in the text dig prints (presentation format, RFC 1035 section 5.1),
// so that l7's output can be read beside dig's and pasted into a zone file.

#include <string>

#include "dns/message.hpp"

namespace l7::dns {

// "owner TTL CLASS TYPE RDATA", tab-separated.
std::string format_record(const ResourceRecord& rr);
std::string format_question(const Question& q);
// The header, pseudo-section and sections, as dig prints them after ";; Got answer:".
std::string format_message(const Message& message);
// One line: "id 4242 QUERY NOERROR qr aa rd, www.example.com. IN A: 1 answer" for traces.
std::string summarize_message(const Message& message);

}  // namespace l7::dns
