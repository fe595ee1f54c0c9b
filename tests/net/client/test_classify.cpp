#include "net/client/api_status.hpp"
#include "net/client/classify.hpp"

#include "messages/errors.hpp"

#include <curl/curl.h>
#include <doctest/doctest.h>
#include <openssl/x509_vfy.h>

using namespace cafelet;
using namespace cafelet::net;
using namespace std::chrono_literals;

namespace {

bool has(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

const char* conflict_body
  = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
    R"("message":"Operation cannot be fulfilled on leases.coordination.k8s.io \"edge-1\": the object has been modified",)"
    R"("reason":"Conflict","details":{"name":"edge-1","group":"coordination.k8s.io","kind":"leases"},"code":409})";

} // namespace

TEST_CASE("parse_api_status decodes all fields") {
  auto st = parse_api_status(
    R"({"kind":"Status","status":"Failure","message":"Node \"x\" is invalid",)"
    R"("reason":"Invalid","code":422,"details":{"name":"x","group":"","kind":"nodes",)"
    R"("causes":[{"reason":"FieldValueInvalid","message":"bad","field":"metadata.name"},7],)"
    R"("retryAfterSeconds":4},"extra":[1,2,{"a":null}]})");
  REQUIRE_MESSAGE(st, describe(st.error()));
  CHECK(st->kind == "Status");
  CHECK(st->status == "Failure");
  CHECK(st->message == "Node \"x\" is invalid");
  CHECK(st->reason == "Invalid");
  CHECK(st->code == 422);
  CHECK(st->details_name == "x");
  CHECK(st->details_kind == "nodes");
  REQUIRE(st->causes.size() == 1);
  CHECK(st->causes[0].field == "metadata.name");
  CHECK(st->causes[0].reason == "FieldValueInvalid");
  CHECK(st->retry_after_seconds == 4);
  SUBCASE("wrong field types are ignored") {
    auto odd = parse_api_status(R"({"message":7,"code":"x","reason":"R"})");
    REQUIRE(odd);
    CHECK(odd->message.empty());
    CHECK(odd->code == 0);
    CHECK(odd->reason == "R");
  }
  SUBCASE("non-objects are rejected") {
    CHECK_FALSE(parse_api_status("<html></html>"));
    CHECK_FALSE(parse_api_status("[1,2]"));
    CHECK_FALSE(parse_api_status(R"({"message":"unterminated)"));
    auto err = parse_api_status("").error();
    CHECK(is(err, errc::bad_response));
  }
}

TEST_CASE("status codes map to cafelet error codes") {
  struct row {
    long status;
    errc code;
  };
  for (auto [status, code] :
       {row{400, errc::invalid}, row{401, errc::unauthorized},
        row{403, errc::forbidden}, row{404, errc::not_found},
        row{405, errc::invalid}, row{408, errc::timeout},
        row{409, errc::conflict}, row{410, errc::gone},
        row{422, errc::invalid}, row{429, errc::too_many_requests},
        row{500, errc::server_error}, row{502, errc::server_error},
        row{503, errc::server_error}, row{504, errc::timeout},
        row{302, errc::bad_response}, row{101, errc::bad_response}}) {
    CAPTURE(status);
    auto c = classify_response(status, "application/json", "", "{}");
    CHECK(is(c.error, code));
  }
  for (long ok : {200L, 201L, 204L})
    CHECK_FALSE(classify_response(ok, "application/json", "", "{}").error);
}

TEST_CASE("error context keeps the server's message") {
  auto c = classify_response(409, "application/json", "", conflict_body);
  CHECK(is(c.error, errc::conflict));
  REQUIRE(c.status);
  CHECK(c.status->reason == "Conflict");
  CHECK(c.status->details_kind == "leases");
  CHECK(context_of(c.error)
        == "409 Conflict: Operation cannot be fulfilled on "
           "leases.coordination.k8s.io \"edge-1\": the object has been modified");
  auto exists = classify_response(
    409, "application/json", "",
    R"({"kind":"Status","reason":"AlreadyExists","message":"nodes \"edge-1\" already exists","code":409})");
  CHECK(context_of(exists.error)
        == "409 Conflict (AlreadyExists): nodes \"edge-1\" already exists");
  auto gone = classify_response(410, "application/json", "",
                                R"json({"reason":"Expired","message":"too old resource version: 1 (5)"})json");
  CHECK(is(gone.error, errc::gone));
  CHECK(context_of(gone.error) == "410 Gone (Expired): too old resource version: 1 (5)");
  auto nf = classify_response(404, "application/json", "",
                              R"({"reason":"NotFound","message":"pods \"a\" not found"})");
  CHECK(context_of(nf.error) == "404 Not Found: pods \"a\" not found");
}

TEST_CASE("Retry-After comes from the header, else from the body") {
  auto body = R"({"kind":"Status","reason":"TooManyRequests","message":"slow down",)"
              R"("details":{"retryAfterSeconds":3},"code":429})";
  auto both = classify_response(429, "application/json", "7", body);
  CHECK(is(both.error, errc::too_many_requests));
  CHECK(both.retry_after == 7s);
  CHECK(has(context_of(both.error), "slow down (retry after 7s)"));
  auto body_only = classify_response(429, "application/json", "", body);
  CHECK(body_only.retry_after == 3s);
  auto header_only = classify_response(503, "text/plain", " 12 ", "busy");
  CHECK(header_only.retry_after == 12s);
  CHECK(is(header_only.error, errc::server_error));
  auto none = classify_response(429, "application/json", "", "{}");
  CHECK_FALSE(none.retry_after);
  CHECK(parse_retry_after("0") == 0s);
  CHECK_FALSE(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"));
  CHECK_FALSE(parse_retry_after("-1"));
  CHECK_FALSE(parse_retry_after(""));
  CHECK_FALSE(parse_retry_after("99999999999"));
}

TEST_CASE("non-JSON bodies are quoted as a truncated excerpt") {
  std::string page = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>"
                     + std::string(500, 'x') + "</body></html>";
  auto c = classify_response(502, "text/html", "", page);
  CHECK(is(c.error, errc::server_error));
  CHECK_FALSE(c.status);
  auto ctx = context_of(c.error);
  CHECK_MESSAGE(has(ctx, "502 Bad Gateway: unexpected non-JSON response body "
                         "(text/html): <html> <head><title>502 Bad Gateway"),
                ctx);
  CHECK(has(ctx, "..."));
  CHECK(ctx.size() < 300);
  auto html_ok = classify_response(200, "text/html; charset=utf-8", "",
                                   "<html>portal</html>");
  CHECK(is(html_ok.error, errc::bad_response));
  CHECK(has(context_of(html_ok.error), "expected JSON, got an HTML page: <html>portal</html>"));
  auto redirect = classify_response(302, "", "", "");
  CHECK(is(redirect.error, errc::bad_response));
  CHECK(context_of(redirect.error) == "302 Found: empty response body");
  auto odd_json = classify_response(500, "application/json", "", "[1,2,3]");
  CHECK(has(context_of(odd_json.error), "[1,2,3]"));
}

TEST_CASE("excerpt") {
  CHECK(excerpt("a  b\n\nc") == "a b c");
  CHECK(excerpt(std::string(10, 'x'), 4) == "xxxx...");
  CHECK(excerpt("tab\x01") == "tab\\x01");
  CHECK(excerpt("  trailing  \n") == "trailing");
  // does not cut a UTF-8 sequence: "é" is 2 bytes
  CHECK(excerpt("ab\xc3\xa9xyz", 3) == "ab...");
  CHECK(excerpt("ab\xc3\xa9xyz", 4) == "ab\xc3\xa9...");
}

TEST_CASE("transport failures are explained in plain words") {
  auto target = "https://10.0.0.1:6443";
  auto expired = classify_transport(CURLE_PEER_FAILED_VERIFICATION,
                                    X509_V_ERR_CERT_HAS_EXPIRED,
                                    "SSL certificate problem: certificate has expired",
                                    target);
  CHECK(is(expired, errc::connection_failed));
  CHECK(has(context_of(expired), "https://10.0.0.1:6443: TLS verification failed: "
                                 "the server certificate has expired"));
  auto unknown = classify_transport(CURLE_PEER_FAILED_VERIFICATION,
                                    X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY,
                                    "unable to get local issuer certificate", target);
  CHECK(has(context_of(unknown), "signed by an unknown authority"));
  auto mismatch = classify_transport(
    CURLE_PEER_FAILED_VERIFICATION, X509_V_OK,
    "SSL: no alternative certificate subject name matches target host name 'x'",
    target);
  CHECK(has(context_of(mismatch), "name mismatch"));
  auto refused = classify_transport(CURLE_COULDNT_CONNECT, 0, "", target);
  CHECK(is(refused, errc::connection_failed));
  CHECK(has(context_of(refused), "connection refused"));
  auto dns = classify_transport(CURLE_COULDNT_RESOLVE_HOST, 0, "", target);
  CHECK(has(context_of(dns), "cannot resolve"));
  auto slow = classify_transport(CURLE_OPERATION_TIMEDOUT, 0,
                                 "Operation too slow. Less than 1 bytes/sec", target);
  CHECK(is(slow, errc::timeout));
  CHECK(has(context_of(slow), "stalled"));
  auto total = classify_transport(CURLE_OPERATION_TIMEDOUT, 0,
                                  "Operation timed out after 300 milliseconds", target);
  CHECK(has(context_of(total), "request timed out"));
  auto cert = classify_transport(CURLE_RECV_ERROR, 0,
                                 "OpenSSL SSL_read: error:0A00045C:SSL routines::"
                                 "tlsv13 alert certificate required, errno 0",
                                 target);
  CHECK(is(cert, errc::unauthorized));
  CHECK(has(context_of(cert), "rejected our client certificate"));
  CHECK(is(classify_transport(CURLE_GOT_NOTHING, 0, "", target),
           errc::connection_failed));
  CHECK(is(classify_transport(CURLE_URL_MALFORMAT, 0, "", target),
           errc::invalid_config));
  CHECK(is(classify_transport(CURLE_TOO_MANY_REDIRECTS, 0, "", target),
           errc::bad_response));
  CHECK_FALSE(classify_transport(CURLE_OK, 0, "", target));
}
