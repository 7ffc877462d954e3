#pragma once
// TYPE A transfers (RFC 959 3.1.1.1): on the wire every line ends with CRLF, on this server's
// disk with LF. Both converters keep state across the chunks of a transfer, since a CRLF may
// be cut between two reads.

#include <string>
#include <string_view>

namespace l7::ftp {

// Disk to wire: a LF not preceded by CR becomes CRLF; CRLF stays.
class AsciiEncoder {
  public:
    void encode(std::string_view chunk, std::string& out);

  private:
    bool last_was_cr_ = false;
};

// Wire to disk: CRLF becomes LF; a CR not followed by LF stays.
class AsciiDecoder {
  public:
    void decode(std::string_view chunk, std::string& out);
    // At the end of the transfer: a CR held back at the end of the last chunk.
    void finish(std::string& out);

  private:
    bool pending_cr_ = false;
};

}  // namespace l7::ftp
