#pragma once
// A fresh temporary directory per test, holding a certificate pair made for it.

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tls/self_signed.hpp"

namespace l7::tls::testing {

class TempDir : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern = (std::filesystem::temp_directory_path() / "l7-tls-XXXXXX").string();
        ASSERT_NE(::mkdtemp(pattern.data()), nullptr);
        dir_ = pattern;
    }
    void TearDown() override {
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }

    // Writes a new pair for `names` as NAME.pem / NAME.key in the directory.
    void write_new_pair(const std::string& name, const std::vector<std::string>& names) {
        auto pair = make_self_signed(names);
        ASSERT_TRUE(pair) << pair.error().message;
        auto written = write_pair(*pair, dir_ / (name + ".pem"), dir_ / (name + ".key"));
        ASSERT_TRUE(written) << written.error().message;
    }

    std::filesystem::path dir_;
};

}  // namespace l7::tls::testing
