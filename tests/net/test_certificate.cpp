#include "test_certificate.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <system_error>

namespace weft::test {
namespace {

struct pkey_free {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
struct x509_free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct ext_free {
  void operator()(X509_EXTENSION* e) const noexcept { X509_EXTENSION_free(e); }
};

void check(bool ok, const char* what) {
  if (ok) return;
  char text[256] = "";
  ERR_error_string_n(ERR_get_error(), text, sizeof text);
  throw std::runtime_error(std::string("test certificate: ") + what + ": " + text);
}

void write_pem(const std::string& path, auto write) {
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) throw std::system_error(errno, std::generic_category(), path);
  bool ok = write(f) == 1;
  std::fclose(f);
  check(ok, path.c_str());
}

}  // namespace

test_certificate::test_certificate(const std::string& common_name, const std::string& alt_names) {
  std::unique_ptr<EVP_PKEY, pkey_free> key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EC key");
  std::unique_ptr<X509, x509_free> cert(X509_new());
  check(cert != nullptr, "X509_new");
  X509* x = cert.get();
  check(X509_set_version(x, X509_VERSION_3) == 1, "version");
  static long serial = 1;
  check(ASN1_INTEGER_set(X509_get_serialNumber(x), serial++) == 1, "serial");
  check(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr, "notBefore");
  check(X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600) != nullptr, "notAfter");
  check(X509_set_pubkey(x, key.get()) == 1, "public key");
  X509_NAME* name = X509_get_subject_name(x);
  check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>(common_name.c_str()), -1, -1, 0) == 1,
        "subject");
  check(X509_set_issuer_name(x, name) == 1, "issuer");
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, x, x, nullptr, nullptr, 0);
  std::unique_ptr<X509_EXTENSION, ext_free> san(
      X509V3_EXT_conf_nid(nullptr, &v3, NID_subject_alt_name, alt_names.c_str()));
  check(san != nullptr && X509_add_ext(x, san.get(), -1) == 1, "subjectAltName");
  check(X509_sign(x, key.get(), EVP_sha256()) > 0, "sign");

  std::string tmpl =
      (std::getenv("TMPDIR") != nullptr ? std::getenv("TMPDIR") : "/tmp") + std::string("/weft-tls-XXXXXX");
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::system_error(errno, std::generic_category(), "mkdtemp");
  dir_ = tmpl;
  cert_file_ = dir_ + "/cert.pem";
  key_file_ = dir_ + "/key.pem";
  try {
    write_pem(cert_file_, [&](std::FILE* f) { return PEM_write_X509(f, x); });
    write_pem(key_file_,
              [&](std::FILE* f) { return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr); });
  } catch (...) {
    remove_files();
    throw;
  }
}

test_certificate::~test_certificate() { remove_files(); }

void test_certificate::remove_files() noexcept {
  ::unlink(cert_file_.c_str());
  ::unlink(key_file_.c_str());
  ::rmdir(dir_.c_str());
}

}  // namespace weft::test
