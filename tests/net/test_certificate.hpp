// A key and a self-signed certificate made at test time with OpenSSL's API
// (no openssl command, no files in the tree), written as PEM into a fresh
// temporary directory that the object removes. Test thread only.
#pragma once

#include <string>

namespace weft::test {

class test_certificate {
 public:
  // An EC P-256 key and a certificate for `common_name` valid for a day,
  // with subjectAltName `alt_names` (OpenSSL's syntax).
  explicit test_certificate(const std::string& common_name = "localhost",
                            const std::string& alt_names = "DNS:localhost,IP:127.0.0.1");
  ~test_certificate();
  test_certificate(const test_certificate&) = delete;
  test_certificate& operator=(const test_certificate&) = delete;

  // The certificate (PEM): the server's chain and the client's trust anchor.
  const std::string& cert_file() const noexcept { return cert_file_; }
  // The private key (PEM).
  const std::string& key_file() const noexcept { return key_file_; }

 private:
  void remove_files() noexcept;

  std::string dir_;
  std::string cert_file_;
  std::string key_file_;
};

}  // namespace weft::test
