#pragma once
// Zone files in the master format of RFC 1035 section 5, as BIND writes them: $ORIGIN, $TTL
// (RFC 2308 section 4), $INCLUDE, "@", relative names, omitted owner, TTL and class (in either
// order), parentheses across lines, comments, quoted strings, \X and \DDD escapes, and the
// RFC 3597 generic RDATA form.
//
// Parsing is sans-I/O: $INCLUDE asks a loader for the file's text, so tests and fuzzers run
// without files. Syntax errors do not stop the parse: each is collected with its file and
// line, the way named-checkzone reports them, and the bad record is skipped.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "dns/message.hpp"
#include "dns/name.hpp"

namespace l7::dns {

struct SourceLine {
    std::uint32_t file = 0;  // index into MasterFile::files
    std::uint32_t line = 0;
};

struct MasterRecord {
    ResourceRecord rr;
    SourceLine where;
};

struct MasterProblem {
    SourceLine where;
    std::string message;
    bool error = true;  // false: a warning
};

struct MasterFile {
    std::vector<std::string> files;  // the top file first, then each $INCLUDE
    std::vector<MasterRecord> records;
    std::vector<MasterProblem> problems;

    bool has_errors() const;
    // "file:line: message" (with "warning: " for warnings).
    std::string describe(const MasterProblem& p) const;
};

// Returns a file's text. A relative $INCLUDE path is first resolved against the including
// file's directory, as named-checkzone -w does with the zone's directory.
using IncludeLoader = std::function<Result<std::string>(const std::string& path)>;

struct MasterOptions {
    RRClass klass = RRClass::IN;
    IncludeLoader loader;  // without one, $INCLUDE is an error
    std::size_t max_include_depth = 16;
    std::size_t max_records = 10'000'000;
};

MasterFile parse_master(std::string_view text, const std::string& file_name, const Name& origin,
                        const MasterOptions& options = {});

// Reads `path` and its includes from the file system (relative includes from the including
// file's directory).
MasterFile load_master_file(const std::string& path, const Name& origin,
                            MasterOptions options = {});

// The file system loader used by load_master_file.
Result<std::string> read_text_file(const std::string& path);

}  // namespace l7::dns
