// Bencoding and what is read through it: bdecode, bdecode_prefix and raw_dict_value
// (p2p/bencode.hpp), parse_metainfo and parse_info_dict (p2p/metainfo.hpp), parse_magnet
// (p2p/magnet.hpp), all on the whole input. Whatever the bytes:
//   * a decoded value re-encodes to exactly the input (the decoder accepts canonical form
//     only, so a torrent's bytes and its value are one), and so does a decoded prefix;
//   * a value decoded under small limits decodes the same under the defaults;
//   * raw_dict_value finds each top-level key's encoding, and nothing in an invalid document;
//   * a parsed torrent is consistent: its info-hash is the SHA-1 of its raw info bytes (the
//     document's own), every path component is safe, the lengths add up, the piece count
//     matches, and the pieces' file slices cover every byte once, in order;
//   * a parsed magnet link, formatted and parsed again, is the same link; so is a torrent's.
// Seeds: small .torrent files (single-file, multi-file with nested directories, private,
// with announce-list), info dictionaries alone, bencode samples, magnet links, and hostile
// torrents (path traversal, a wrong piece count).

#include <string>
#include <string_view>
#include <vector>

#include "fuzz_check.hpp"
#include "p2p/bencode.hpp"
#include "p2p/magnet.hpp"
#include "p2p/metainfo.hpp"

using namespace l7::p2p;

namespace {

bool safe_component(const std::string& c) {
    return !c.empty() && c != "." && c != ".." && c.find('/') == std::string::npos &&
           c.find('\0') == std::string::npos;
}

void check_info(const TorrentInfo& info) {
    L7_FUZZ_CHECK(info.info_hash == sha1(info.raw_info));
    L7_FUZZ_CHECK(safe_component(info.name));
    L7_FUZZ_CHECK(info.piece_length > 0);
    L7_FUZZ_CHECK(info.total_length > 0);
    L7_FUZZ_CHECK(!info.files.empty());
    if (info.single_file) {
        L7_FUZZ_CHECK(info.files.size() == 1);
        L7_FUZZ_CHECK(info.files[0].path == std::vector<std::string>{info.name});
    }
    std::uint64_t total = 0;
    for (const TorrentFile& f : info.files) {
        L7_FUZZ_CHECK(!f.path.empty());
        for (const std::string& c : f.path) {
            L7_FUZZ_CHECK(safe_component(c));
        }
        L7_FUZZ_CHECK(f.offset == total);
        total += f.length;
    }
    L7_FUZZ_CHECK(total == info.total_length);
    const std::uint64_t count = (total + info.piece_length - 1) / info.piece_length;
    L7_FUZZ_CHECK(info.piece_count() == count);
    L7_FUZZ_CHECK(info.pieces.size() == count * 20);
    // Every byte in exactly one slice, in order (bounded: a torrent from 1 MiB of input has
    // at most ~50,000 pieces).
    std::uint64_t covered = 0;
    for (std::uint32_t p = 0; p < info.piece_count(); ++p) {
        std::uint64_t in_piece = 0;
        for (const FileSlice& s : piece_slices(info, p)) {
            L7_FUZZ_CHECK(s.file < info.files.size());
            L7_FUZZ_CHECK(s.length > 0);
            L7_FUZZ_CHECK(s.offset + s.length <= info.files[s.file].length);
            L7_FUZZ_CHECK(info.files[s.file].offset + s.offset == covered);
            covered += s.length;
            in_piece += s.length;
        }
        L7_FUZZ_CHECK(in_piece == info.piece_size(p));
    }
    L7_FUZZ_CHECK(covered == info.total_length);
}

void check_magnet_round_trip(const MagnetLink& link) {
    const std::string text = format_magnet(link);
    if (text.size() > kMaxMagnetLength) {
        return;  // a link too long to be read back is refused by design
    }
    auto back = parse_magnet(text);
    L7_FUZZ_CHECK(back.ok());
    L7_FUZZ_CHECK(*back == link);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input = l7::fuzz::as_text(data, size);

    auto value = bdecode(input);
    if (value) {
        L7_FUZZ_CHECK(bencode(*value) == input);
        if (value->is_dict()) {
            for (const auto& [key, v] : value->as_dict()) {
                auto raw = raw_dict_value(input, key);
                L7_FUZZ_CHECK(raw.has_value());
                L7_FUZZ_CHECK(*raw == bencode(v));
            }
        }
    } else {
        L7_FUZZ_CHECK(!value.error().message.empty());
        L7_FUZZ_CHECK(!raw_dict_value(input, "info").has_value());
    }

    auto prefix = bdecode_prefix(input);
    if (prefix) {
        L7_FUZZ_CHECK(prefix->length > 0 && prefix->length <= input.size());
        L7_FUZZ_CHECK(bencode(prefix->value) == input.substr(0, prefix->length));
        L7_FUZZ_CHECK(value.ok() == (prefix->length == input.size()));
    } else {
        L7_FUZZ_CHECK(!value.ok());
    }

    BencodeLimits small;
    small.max_depth = 4;
    small.max_values = 64;
    small.max_string = 64;
    if (auto limited = bdecode(input, small)) {
        L7_FUZZ_CHECK(value.ok());
        L7_FUZZ_CHECK(*limited == *value);
    }

    if (auto meta = parse_metainfo(input)) {
        L7_FUZZ_CHECK(value.ok());
        auto raw = raw_dict_value(input, "info");
        L7_FUZZ_CHECK(raw.has_value());
        L7_FUZZ_CHECK(meta->info.raw_info == *raw);
        check_info(meta->info);
        for (const std::string& url : meta->trackers()) {
            L7_FUZZ_CHECK(!url.empty());
        }
        check_magnet_round_trip(magnet_for(*meta));
        // The info dictionary alone parses to the same thing (the BEP 9 path).
        auto alone = parse_info_dict(meta->info.raw_info);
        L7_FUZZ_CHECK(alone.ok());
        L7_FUZZ_CHECK(alone->info_hash == meta->info.info_hash);
        L7_FUZZ_CHECK(alone->files.size() == meta->info.files.size());
    }

    if (auto info = parse_info_dict(input)) {
        L7_FUZZ_CHECK(info->raw_info == input);
        check_info(*info);
    }

    if (auto link = parse_magnet(input)) {
        L7_FUZZ_CHECK(input.size() <= kMaxMagnetLength);
        L7_FUZZ_CHECK(link->trackers.size() <= kMaxMagnetTrackers);
        L7_FUZZ_CHECK(link->peers.size() <= kMaxMagnetPeers);
        check_magnet_round_trip(*link);
    }
    return 0;
}
