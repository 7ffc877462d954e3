#include "dns/journal.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "dns/rdata.hpp"
#include "dns_gtest_util.hpp"

namespace l7::dns {
namespace {

using namespace test;

const Name kOrigin = name("example.com.");

ZoneDiff diff(std::uint32_t from, std::uint32_t to, std::vector<ResourceRecord> removed,
              std::vector<ResourceRecord> added) {
    ZoneDiff d{from, to, {soa_record(from)}, {soa_record(to)}};
    d.removed.insert(d.removed.end(), removed.begin(), removed.end());
    d.added.insert(d.added.end(), added.begin(), added.end());
    return d;
}

void expect_same(const ZoneDiff& got, const ZoneDiff& want) {
    EXPECT_EQ(got.from_serial, want.from_serial);
    EXPECT_EQ(got.to_serial, want.to_serial);
    auto same_list = [](const std::vector<ResourceRecord>& x,
                        const std::vector<ResourceRecord>& y) {
        ASSERT_EQ(x.size(), y.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            EXPECT_EQ(x[i].owner, y[i].owner) << i;
            EXPECT_EQ(x[i].type, y[i].type) << i;
            EXPECT_EQ(x[i].klass, y[i].klass) << i;
            EXPECT_EQ(x[i].ttl, y[i].ttl) << i;
            EXPECT_EQ(x[i].rdata, y[i].rdata) << i;
        }
    };
    same_list(got.removed, want.removed);
    same_list(got.added, want.added);
}

// A fresh directory per test, removed afterwards.
class Journal : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (std::filesystem::temp_directory_path() / "l7-journal-XXXXXX").string();
        ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
        dir_ = tmpl;
        path_ = dir_ + "/example.com.db.jnl";
    }
    void TearDown() override { std::filesystem::remove_all(dir_); }

    Bytes contents() const {
        std::ifstream in(path_, std::ios::binary);
        return Bytes(std::istreambuf_iterator<char>(in), {});
    }
    void write(const Bytes& bytes) const {
        std::ofstream out(path_, std::ios::binary | std::ios::trunc);
        out.write(reinterpret_cast<const char*>(bytes.data()),
                  static_cast<std::streamsize>(bytes.size()));
    }
    void append_both() {
        ASSERT_TRUE(append_journal(path_, kOrigin, first_));
        size_after_first_ = std::filesystem::file_size(path_);
        ASSERT_TRUE(append_journal(path_, kOrigin, second_));
    }

    std::string dir_;
    std::string path_;
    std::size_t size_after_first_ = 0;
    const ZoneDiff first_ =
        diff(1, 2, {a_record("www.example.com.", 1)}, {a_record("www.example.com.", 2)});
    const ZoneDiff second_ =
        diff(2, 3, {}, {a_record("new.example.com.", 9, 60), a_record("new.example.com.", 10, 60)});
};

TEST_F(Journal, AppendTwoThenReadBack) {
    append_both();
    auto j = read_journal(path_);
    ASSERT_TRUE(j) << j.error().message;
    EXPECT_EQ(j->warning, "");
    ASSERT_EQ(j->entries.size(), 2u);
    expect_same(j->entries[0], first_);
    expect_same(j->entries[1], second_);
    // The layout: magic, length, CRC, payload, back to back.
    const Bytes file = contents();
    ASSERT_GE(file.size(), 12u);
    EXPECT_EQ(std::string(file.begin(), file.begin() + 4), "L7J1");
    const std::size_t length =
        static_cast<std::size_t>(file[4]) << 24 | file[5] << 16 | file[6] << 8 | file[7];
    EXPECT_EQ(12 + length, size_after_first_);
    EXPECT_EQ(std::string(file.begin() + static_cast<std::ptrdiff_t>(size_after_first_),
                          file.begin() + static_cast<std::ptrdiff_t>(size_after_first_) + 4),
              "L7J1");
}

TEST_F(Journal, AMissingFileIsEmpty) {
    auto j = read_journal(path_);
    ASSERT_TRUE(j);
    EXPECT_TRUE(j->entries.empty());
    EXPECT_EQ(j->warning, "");
    auto empty = read_journal(dir_ + "/no/such/dir.jnl");
    ASSERT_TRUE(empty);
    EXPECT_TRUE(empty->entries.empty());
}

TEST_F(Journal, AnEmptyFileIsEmpty) {
    write({});
    auto j = read_journal(path_);
    ASSERT_TRUE(j);
    EXPECT_TRUE(j->entries.empty());
    EXPECT_EQ(j->warning, "");
}

TEST_F(Journal, ATornLastEntryIsIgnoredWithAWarning) {
    append_both();
    const Bytes whole = contents();
    // Cut inside the payload, inside the 12-byte entry header, and right after the magic.
    for (std::size_t keep : {whole.size() - 3, size_after_first_ + 12 + 1, size_after_first_ + 7,
                             size_after_first_ + 4, size_after_first_ + 1}) {
        SCOPED_TRACE(keep);
        write(Bytes(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(keep)));
        auto j = read_journal(path_);
        ASSERT_TRUE(j) << j.error().message;
        ASSERT_EQ(j->entries.size(), 1u);
        expect_same(j->entries[0], first_);
        EXPECT_NE(j->warning, "");
        EXPECT_NE(j->warning.find(path_), std::string::npos) << j->warning;
        EXPECT_NE(j->warning.find("byte " + std::to_string(size_after_first_)), std::string::npos)
            << j->warning;
    }
    // Appending after a torn tail is the caller's problem; reading stays safe.
}

TEST_F(Journal, ACrcMismatchStopsWithAWarning) {
    append_both();
    Bytes file = contents();
    file[size_after_first_ + 12 + 20] ^= 0x10;  // a payload byte of the second entry
    write(file);
    auto j = read_journal(path_);
    ASSERT_TRUE(j);
    ASSERT_EQ(j->entries.size(), 1u);
    expect_same(j->entries[0], first_);
    EXPECT_NE(j->warning.find("checksum"), std::string::npos) << j->warning;

    // Damage in the first entry: nothing after it is trusted.
    file = contents();
    file[12 + 20] ^= 0x10;
    file[size_after_first_ + 12 + 20] ^= 0x10;  // undo the second entry's damage
    write(file);
    j = read_journal(path_);
    ASSERT_TRUE(j);
    EXPECT_TRUE(j->entries.empty());
    EXPECT_NE(j->warning.find("checksum"), std::string::npos) << j->warning;
    EXPECT_NE(j->warning.find("byte 0"), std::string::npos) << j->warning;
}

TEST_F(Journal, BadMagicStopsWithAWarning) {
    append_both();
    Bytes file = contents();
    file[size_after_first_] = 'X';
    write(file);
    auto j = read_journal(path_);
    ASSERT_TRUE(j);
    EXPECT_EQ(j->entries.size(), 1u);
    EXPECT_NE(j->warning, "");
    // A huge length is treated as a torn entry, not allocated.
    file = contents();
    file[size_after_first_] = 'L';
    file[size_after_first_ + 4] = 0xFF;
    write(file);
    j = read_journal(path_);
    ASSERT_TRUE(j);
    EXPECT_EQ(j->entries.size(), 1u);
    EXPECT_NE(j->warning, "");
}

TEST_F(Journal, AnEntryWithAGoodCrcButNoSoaIsAnError) {
    Message m;
    m.questions.push_back({kOrigin, RRType::SOA, RRClass::IN});
    m.answers.push_back(a_record("www.example.com.", 1));
    const Bytes payload = encode_message(m);
    // Frame it by hand with its real CRC (zlib's CRC-32, as the journal uses).
    ASSERT_TRUE(append_journal(path_, kOrigin, first_));
    Bytes file = contents();
    Bytes framed{'L', '7', 'J', '1'};
    auto put32 = [&](std::uint32_t v) {
        for (int s = 24; s >= 0; s -= 8) {
            framed.push_back(static_cast<std::uint8_t>(v >> s));
        }
    };
    put32(static_cast<std::uint32_t>(payload.size()));
    // CRC-32 (IEEE), bitwise.
    std::uint32_t crc = 0xFFFFFFFFu;
    for (std::uint8_t byte : payload) {
        crc ^= byte;
        for (int k = 0; k < 8; ++k) {
            crc = crc & 1 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
        }
    }
    put32(~crc);
    framed.insert(framed.end(), payload.begin(), payload.end());
    file.insert(file.end(), framed.begin(), framed.end());
    write(file);
    auto j = read_journal(path_);
    ASSERT_FALSE(j);
    EXPECT_NE(j.error().message.find("SOA"), std::string::npos) << j.error().message;
}

TEST_F(Journal, AChangeTooLargeForOneEntryIsRefusedNotCut) {
    // 70000 records: past the 16-bit record count and the entry's size limit. Journaling part
    // of the change would replay a different zone after a restart.
    std::vector<ResourceRecord> many;
    for (int i = 0; i < 70000; ++i) {
        many.push_back(
            a_record("h" + std::to_string(i) + ".example.com.", static_cast<std::uint8_t>(i)));
    }
    ASSERT_TRUE(append_journal(path_, kOrigin, first_));
    const auto before = std::filesystem::file_size(path_);
    auto big = append_journal(path_, kOrigin, diff(2, 3, {}, many));
    ASSERT_FALSE(big);
    EXPECT_NE(big.error().message.find("too large"), std::string::npos) << big.error().message;
    EXPECT_EQ(std::filesystem::file_size(path_), before);
    // A large change that fits is kept whole.
    many.resize(3000);
    ASSERT_TRUE(append_journal(path_, kOrigin, diff(2, 3, many, {})));
    auto j = read_journal(path_);
    ASSERT_TRUE(j);
    ASSERT_EQ(j->entries.size(), 2u);
    EXPECT_EQ(j->entries[1].removed.size(), 3001u);
}

TEST(JournalEntry, EncodeDecodeRoundTrip) {
    const ZoneDiff d = diff(4000000000u, 4000000001u,
                            {a_record("www.example.com.", 1),
                             {name("mx.example.com."), RRType::MX, RRClass::IN, 60,
                              Bytes{0,   10,  4,   'm', 'a', 'i', 'l', 7,   'e', 'x',
                                    'a', 'm', 'p', 'l', 'e', 3,   'c', 'o', 'm', 0}}},
                            {a_record("www.example.com.", 2, 86400)});
    const Bytes payload = encode_journal_entry(kOrigin, d);
    auto back = decode_journal_entry(payload);
    ASSERT_TRUE(back) << back.error().message;
    expect_same(*back, d);
    // The payload is a DNS message: the zone's SOA question, removed as answers, added as
    // authority.
    auto m = decode_message(payload);
    ASSERT_TRUE(m);
    ASSERT_EQ(m->questions.size(), 1u);
    EXPECT_EQ(m->questions[0].name, kOrigin);
    EXPECT_EQ(m->answers.size(), d.removed.size());
    EXPECT_EQ(m->authority.size(), d.added.size());
}

TEST(JournalEntry, DecodeRejects) {
    EXPECT_FALSE(decode_journal_entry(Bytes{1, 2, 3}));
    Message m;
    m.questions.push_back({kOrigin, RRType::SOA, RRClass::IN});
    m.answers.push_back(soa_record(1));
    EXPECT_FALSE(decode_journal_entry(encode_message(m)));  // no added SOA
    m.authority.push_back(a_record("www.example.com.", 1));
    EXPECT_FALSE(decode_journal_entry(encode_message(m)));  // added without its SOA first
    m.authority.insert(m.authority.begin(), soa_record(2));
    EXPECT_TRUE(decode_journal_entry(encode_message(m)));
}

}  // namespace
}  // namespace l7::dns
