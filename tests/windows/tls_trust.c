/* tls_trust: where a Windows build of libtether gets its TLS trust from,
 * run under wine64 by scripts/cross-windows.sh against a native
 * tether-server with a certificate from a CA generated for the run.
 *
 *   tls_trust.exe WSS_URL TOKEN CA_PEM_FILE
 *
 * Checks, in order:
 *   1. no CA option, CA not in the Windows store: refused, tls_verify_failed;
 *   2. tls_ca_pem (the CA as PEM text): ready, a reliable send acked;
 *   3. tls_ca_file: the same;
 *   4. the CA added to the Windows "ROOT" system store, no CA option: ready
 *      and acked, so "system CAs always trusted" holds on Windows;
 *   5. removed from the store again: refused again. A second process
 *      (`tls_trust.exe ... removed`) checks this: Wine's crypt32 keeps what
 *      a process once read of the ROOT store.
 * Prints one line per check and "tls_trust: N/M passed"; exit 0 if all. */
#include <windows.h>
#include <wincrypt.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tether/tether.h"

typedef struct run_result {
  int ready;
  int acked;
  char code[128];
} run_result;

static run_result run(const char* url, const char* token, const char* ca_pem, const char* ca_file) {
  run_result r;
  tether_config config;
  tether_client* client = NULL;
  int i, frames;
  memset(&r, 0, sizeof r);
  tether_config_init(&config);
  config.url = url;
  config.token = token;
  config.tls_ca_pem = ca_pem;
  config.tls_ca_file = ca_file;
  config.backoff_max_attempts = 1;
  config.backoff_initial_ms = 50;
  config.backoff_max_ms = 50;
  config.connect_timeout_ms = 5000;
  if (tether_client_create(&config, &client) != TETHER_OK) {
    strcpy(r.code, "create_failed");
    return r;
  }
  tether_client_connect(client);
  for (frames = 0; frames < 1000 && !r.acked; ++frames) {
    int32_t n = tether_client_pump(client);
    for (i = 0; i < n; ++i) {
      const tether_event* e = tether_client_event(client, (uint32_t)i);
      if (e->type == TETHER_EVENT_TRANSPORT_ERROR && r.code[0] == '\0' && e->code != NULL) {
        strncpy(r.code, e->code, sizeof r.code - 1);
      } else if (e->type == TETHER_EVENT_STATE_CHANGED && e->state == TETHER_STATE_READY && !r.ready) {
        uint64_t id = 0;
        r.ready = 1;
        tether_client_send(client, "room:chat", "{\"text\":\"tls\"}", 14, TETHER_SEND_RELIABLE, &id);
      } else if (e->type == TETHER_EVENT_ACK) {
        r.acked = 1;
      } else if (e->type == TETHER_EVENT_STATE_CHANGED &&
                 (e->state == TETHER_STATE_GAVE_UP || e->state == TETHER_STATE_UNAUTHORIZED)) {
        frames = 1000;
      }
    }
    Sleep(10);
  }
  tether_client_destroy(client);
  return r;
}

static char* read_file(const char* path) {
  FILE* f = fopen(path, "rb");
  char* text;
  long size;
  if (f == NULL) return NULL;
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  text = (char*)calloc(1, (size_t)size + 1);
  if (text != NULL && fread(text, 1, (size_t)size, f) != (size_t)size) {
    free(text);
    text = NULL;
  }
  fclose(f);
  return text;
}

/* The CA into (add = 1) or out of the current user's ROOT system store. */
static int store_ca(const char* pem, int add) {
  BYTE der[8192];
  DWORD der_len = sizeof der;
  HCERTSTORE store;
  PCCERT_CONTEXT cert = NULL, found;
  int ok = 0;
  if (!CryptStringToBinaryA(pem, 0, CRYPT_STRING_BASE64HEADER, der, &der_len, NULL, NULL)) return 0;
  /* The user's own Root store (a physical store, not the collection that
   * CertOpenSystemStore gives, which Wine does not delete from). */
  store = CertOpenStore(CERT_STORE_PROV_SYSTEM_W, 0, 0, CERT_SYSTEM_STORE_CURRENT_USER, L"Root");
  if (store == NULL) return 0;
  if (add) {
    ok = CertAddEncodedCertificateToStore(store, X509_ASN_ENCODING, der, der_len,
                                          CERT_STORE_ADD_REPLACE_EXISTING, NULL) != 0;
  } else {
    cert = CertCreateCertificateContext(X509_ASN_ENCODING, der, der_len);
    found = cert == NULL ? NULL : CertFindCertificateInStore(store, X509_ASN_ENCODING, 0,
                                                             CERT_FIND_EXISTING, cert, NULL);
    ok = found != NULL && CertDeleteCertificateFromStore(found) != 0;
    if (cert != NULL) CertFreeCertificateContext(cert);
  }
  CertCloseStore(store, 0);
  return ok;
}

static int check(int n, const char* what, int pass, run_result r) {
  printf("tls_trust: %d. %-52s %s (ready=%d acked=%d code=%s)\n", n, what, pass ? "ok" : "FAILED", r.ready,
         r.acked, r.code[0] != '\0' ? r.code : "-");
  return pass;
}

int main(int argc, char** argv) {
  const char* url;
  const char* token;
  char* pem;
  int passed = 0, total = 0;
  int removed_phase;
  run_result r;
  if (argc != 4 && !(argc == 5 && strcmp(argv[4], "removed") == 0)) {
    fprintf(stderr, "usage: tls_trust WSS_URL TOKEN CA_PEM_FILE [removed]\n");
    return 2;
  }
  url = argv[1];
  token = argv[2];
  removed_phase = argc == 5;
  pem = read_file(argv[3]);
  if (pem == NULL) {
    fprintf(stderr, "tls_trust: cannot read %s\n", argv[3]);
    return 2;
  }
  if (removed_phase) {
    r = run(url, token, NULL, NULL);
    total = 1;
    passed += check(5, "CA removed from the store again: refused",
                    !r.ready && strcmp(r.code, "tls_verify_failed") == 0, r);
  } else {
    store_ca(pem, 0); /* a leftover from an interrupted run */
    total = 4;
    r = run(url, token, NULL, NULL);
    passed += check(1, "no CA option: refused", !r.ready && strcmp(r.code, "tls_verify_failed") == 0, r);
    r = run(url, token, pem, NULL);
    passed += check(2, "tls_ca_pem: trusted", r.ready && r.acked, r);
    r = run(url, token, NULL, argv[3]);
    passed += check(3, "tls_ca_file: trusted", r.ready && r.acked, r);
    if (!store_ca(pem, 1)) {
      printf("tls_trust: cannot add the CA to the Windows ROOT store\n");
    } else {
      r = run(url, token, NULL, NULL);
      passed += check(4, "CA in the Windows ROOT store, no CA option: trusted", r.ready && r.acked, r);
      if (!store_ca(pem, 0)) printf("tls_trust: cannot remove the CA from the Windows ROOT store\n");
    }
  }
  printf("tls_trust: %d/%d passed\n", passed, total);
  free(pem);
  return passed == total ? 0 : 1;
}
