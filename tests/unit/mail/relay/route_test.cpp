#include "mail/relay/route.hpp"

#include <gtest/gtest.h>

namespace l7::mail {
namespace {

using dns::MxTarget;
using dns::StubErrc;
using dns::StubError;
using MxAnswer = dns::StubResult<std::vector<MxTarget>>;

MxTarget mx(std::uint16_t preference, std::string_view exchange) {
    return MxTarget{preference, *dns::Name::parse(exchange)};
}

const std::vector<std::string> kOwn = {"mail.crepes.fr"};

TEST(RelayRoute, ExchangesInTheResolversOrderWithoutTheFinalDot) {
    MxAnswer answer =
        std::vector<MxTarget>{mx(10, "mail.hamburger.edu."), mx(20, "Backup.Hamburger.EDU.")};
    auto hosts = route_mail("hamburger.edu", answer, kOwn);
    ASSERT_TRUE(hosts);
    EXPECT_EQ(*hosts,
              (std::vector<RelayHost>{{"mail.hamburger.edu", 10}, {"backup.hamburger.edu", 20}}));
}

TEST(RelayRoute, NoMxRecordsMeansTheDomainItself) {
    MxAnswer answer = StubError{StubErrc::no_data, "no MX"};
    auto hosts = route_mail("Hamburger.edu.", answer, kOwn);
    ASSERT_TRUE(hosts);
    EXPECT_EQ(*hosts, (std::vector<RelayHost>{{"hamburger.edu", 0}}));
}

TEST(RelayRoute, PermanentAndTemporaryFailures) {
    auto nx = route_mail("nowhere.example", MxAnswer(StubError{StubErrc::no_such_name, "x"}), kOwn);
    ASSERT_FALSE(nx);
    EXPECT_TRUE(nx.error().permanent);
    EXPECT_EQ(nx.error().status, "5.1.2");

    auto null_mx = route_mail("example.com", MxAnswer(StubError{StubErrc::no_service, "x"}), kOwn);
    ASSERT_FALSE(null_mx);
    EXPECT_TRUE(null_mx.error().permanent);
    EXPECT_EQ(null_mx.error().status, "5.1.10");

    auto down =
        route_mail("example.com", MxAnswer(StubError{StubErrc::no_answer, "timeout"}), kOwn);
    ASSERT_FALSE(down);
    EXPECT_FALSE(down.error().permanent);
    EXPECT_EQ(down.error().status, "4.4.3");
    EXPECT_NE(down.error().text.find("timeout"), std::string::npos);
}

TEST(RelayRoute, OurselvesAndEveryLessPreferredExchangeAreDropped) {
    MxAnswer answer = std::vector<MxTarget>{mx(5, "primary.crepes.fr."), mx(10, "other.crepes.fr."),
                                            mx(10, "MAIL.crepes.fr."), mx(20, "last.crepes.fr.")};
    auto hosts = route_mail("crepes.fr", answer, kOwn);
    ASSERT_TRUE(hosts);
    EXPECT_EQ(*hosts, (std::vector<RelayHost>{{"primary.crepes.fr", 5}}));
}

TEST(RelayRoute, BeingTheBestExchangeIsALoop) {
    MxAnswer answer = std::vector<MxTarget>{mx(10, "mail.crepes.fr."), mx(20, "backup.crepes.fr.")};
    auto hosts = route_mail("crepes.fr", answer, kOwn);
    ASSERT_FALSE(hosts);
    EXPECT_TRUE(hosts.error().permanent);
    EXPECT_EQ(hosts.error().status, "5.4.6");
}

TEST(RelayRoute, RecipientDomain) {
    EXPECT_EQ(recipient_domain("bob@Hamburger.EDU."), "hamburger.edu");
    EXPECT_EQ(recipient_domain("\"a@b\"@crepes.fr"), "crepes.fr");
    EXPECT_EQ(recipient_domain("postmaster"), "");
}

}  // namespace
}  // namespace l7::mail
