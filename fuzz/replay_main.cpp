// Runs a fuzz target's LLVMFuzzerTestOneInput on every file given, or found under a directory
// given, so the corpora run as ordinary tests under any compiler, without libFuzzer
// (compare Knot tests-fuzz/main.c, PowerDNS standalone_fuzz_target_runner.cc).
//
//   replay_core_json fuzz/corpus/core_json [more files or directories]
//
// Exit status 0 when every input ran; an invariant failure aborts with the file named above it.

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "fuzz_check.hpp"

namespace fs = std::filesystem;

int main(int argc, char** argv) {
    std::vector<fs::path> files;
    for (int i = 1; i < argc; ++i) {
        const fs::path arg(argv[i]);
        std::error_code ec;
        if (fs::is_directory(arg, ec)) {
            for (const auto& entry : fs::recursive_directory_iterator(arg)) {
                if (entry.is_regular_file()) {
                    files.push_back(entry.path());
                }
            }
        } else if (fs::is_regular_file(arg, ec)) {
            files.push_back(arg);
        } else {
            std::fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]);
            return 2;
        }
    }
    if (files.empty()) {
        std::fprintf(stderr, "usage: %s FILE_OR_DIR... (no input files found)\n", argv[0]);
        return 2;
    }
    std::sort(files.begin(), files.end());
    for (const fs::path& file : files) {
        std::ifstream in(file, std::ios::binary);
        if (!in) {
            std::fprintf(stderr, "replay: %s: cannot read\n", file.c_str());
            return 2;
        }
        const std::string bytes((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
        std::fprintf(stderr, "replay: %s (%zu bytes)\n", file.c_str(), bytes.size());
        // Copy into an exact-size heap buffer so ASan catches a read past the end.
        std::vector<std::uint8_t> buffer(bytes.begin(), bytes.end());
        LLVMFuzzerTestOneInput(buffer.empty() ? nullptr : buffer.data(), buffer.size());
    }
    std::fprintf(stderr, "replay: %zu inputs passed\n", files.size());
    return 0;
}
