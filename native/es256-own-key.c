/*
 * ES256 (ECDSA P-256, SHA-256) signature checks for a key whose private scalar d this process
 * holds: Gatehouse's own signing keys.
 *
 * Standard verification computes X = u1·G + u2·Q with u1 = e/s, u2 = r/s (mod n) and accepts
 * when x(X) mod n = r. With Q = d·G that point is X = ((e + r·d)/s)·G: one multiplication of
 * the fixed generator, which OpenSSL does from precomputed tables (what signing does), instead
 * of a fixed-base and a variable-base one. Same point, same verdict, a signature's cost.
 *
 * The scalar k = (e + r·d)/s is as secret as d (k·G is public, so k gives d away), and the one
 * who sends the token chooses e, r and s. So every step that touches d or k runs in constant
 * time: the arithmetic mod n below (fixed 4-limb Montgomery, no branches on values) and
 * OpenSSL's generator multiplication, the one its ECDSA signing uses for its nonce. Steps on
 * e, r and s alone (the range checks, s⁻¹) and on X (which anyone can compute from the token
 * and the public key) may branch.
 *
 * It also signs with d: OpenSSL's own ECDSA (ECDSA_do_sign on an EC_KEY), without the provider
 * layer that node:crypto's sign goes through, whose setup costs more than the signature itself
 * once the caches are cold. Nonces, blinding and constant time are OpenSSL's.
 */
#define _GNU_SOURCE
/* EC_KEY and ECDSA_do_sign are deprecated in OpenSSL 3 in favour of the provider API, which is
 * the cost this file avoids; they remain in every 3.x release. */
#define OPENSSL_SUPPRESS_DEPRECATED
#define NAPI_VERSION 8 /* type tags */
#include <node_api.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef unsigned __int128 u128;

/* ---- arithmetic mod n, the order of P-256's group: 4 little-endian 64-bit limbs ------- */

static const uint64_t N[4] = {0xF3B9CAC2FC632551ULL, 0xBCE6FAADA7179E84ULL, 0xFFFFFFFFFFFFFFFFULL, 0xFFFFFFFF00000000ULL};
static uint64_t N0;    /* -n⁻¹ mod 2⁶⁴ */
static uint64_t RR[4]; /* 2⁵¹² mod n: turns x into Montgomery form x·2²⁵⁶ */

/* a·b·2⁻²⁵⁶ mod n for a, b < n (CIOS). */
static void mont_mul(uint64_t out[4], const uint64_t a[4], const uint64_t b[4]) {
  uint64_t t[6] = {0, 0, 0, 0, 0, 0};
  for (int i = 0; i < 4; i++) {
    uint64_t carry = 0;
    for (int j = 0; j < 4; j++) {
      u128 p = (u128)a[j] * b[i] + t[j] + carry;
      t[j] = (uint64_t)p;
      carry = (uint64_t)(p >> 64);
    }
    u128 sum = (u128)t[4] + carry;
    t[4] = (uint64_t)sum;
    t[5] = (uint64_t)(sum >> 64);
    uint64_t m = t[0] * N0;
    u128 p = (u128)m * N[0] + t[0];
    carry = (uint64_t)(p >> 64);
    for (int j = 1; j < 4; j++) {
      p = (u128)m * N[j] + t[j] + carry;
      t[j - 1] = (uint64_t)p;
      carry = (uint64_t)(p >> 64);
    }
    sum = (u128)t[4] + carry;
    t[3] = (uint64_t)sum;
    t[4] = t[5] + (uint64_t)(sum >> 64);
  }
  /* t < 2n: subtract n unless that borrows past t[4]; select without a branch. */
  uint64_t reduced[4], borrow = 0;
  for (int j = 0; j < 4; j++) {
    u128 d = (u128)t[j] - N[j] - borrow;
    reduced[j] = (uint64_t)d;
    borrow = (uint64_t)(d >> 64) & 1;
  }
  uint64_t keep = 0 - ((~t[4] & borrow) & 1); /* all ones when t < n */
  for (int j = 0; j < 4; j++) out[j] = (t[j] & keep) | (reduced[j] & ~keep);
}

/* a + b mod n for a, b < n. */
static void add_mod(uint64_t out[4], const uint64_t a[4], const uint64_t b[4]) {
  uint64_t sum[4], reduced[4], carry = 0, borrow = 0;
  for (int j = 0; j < 4; j++) {
    u128 s = (u128)a[j] + b[j] + carry;
    sum[j] = (uint64_t)s;
    carry = (uint64_t)(s >> 64);
  }
  for (int j = 0; j < 4; j++) {
    u128 d = (u128)sum[j] - N[j] - borrow;
    reduced[j] = (uint64_t)d;
    borrow = (uint64_t)(d >> 64) & 1;
  }
  uint64_t keep = 0 - ((~carry & borrow) & 1); /* all ones when a + b < n */
  for (int j = 0; j < 4; j++) out[j] = (sum[j] & keep) | (reduced[j] & ~keep);
}

/* x mod n for x < 2²⁵⁶ (< 2n). */
static void reduce_once(uint64_t x[4]) {
  static const uint64_t zero[4] = {0, 0, 0, 0};
  add_mod(x, x, zero);
}

static void from_be(uint64_t out[4], const uint8_t in[32]) {
  for (int j = 0; j < 4; j++) {
    uint64_t limb = 0;
    for (int k = 0; k < 8; k++) limb = (limb << 8) | in[(3 - j) * 8 + k];
    out[j] = limb;
  }
}

static void to_be(uint8_t out[32], const uint64_t in[4]) {
  for (int j = 0; j < 4; j++)
    for (int k = 0; k < 8; k++) out[(3 - j) * 8 + k] = (uint8_t)(in[j] >> (56 - 8 * k));
}

/* 0 < x < n; x is public (r or s). */
static int in_range(const uint64_t x[4]) {
  if ((x[0] | x[1] | x[2] | x[3]) == 0) return 0;
  for (int j = 3; j >= 0; j--) {
    if (x[j] != N[j]) return x[j] < N[j];
  }
  return 0;
}

static void wipe(void *p, size_t n) {
  volatile uint8_t *v = p;
  while (n--) *v++ = 0;
}

/* ---- the group, SHA-256 and the constants, once per process ----------------------------- */

static EC_GROUP *group = NULL;
static EVP_MD *sha256 = NULL;
static BIGNUM *order = NULL;
static int ready = 0;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_once(void) {
  uint64_t inverse = 1; /* n⁻¹ mod 2⁶⁴ by Newton's iteration: each step doubles the good bits */
  for (int i = 0; i < 6; i++) inverse *= 2 - N[0] * inverse;
  N0 = 0 - inverse;
  group = EC_GROUP_new_by_curve_name(NID_X9_62_prime256v1);
  sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
  order = BN_new();
  BIGNUM *rr = BN_new();
  BN_CTX *ctx = BN_CTX_new();
  uint8_t bytes[32];
  int ok = group != NULL && sha256 != NULL && order != NULL && rr != NULL && ctx != NULL && EC_GROUP_get_order(group, order, ctx) == 1 &&
           BN_set_bit(rr, 512) == 1 && BN_mod(rr, rr, order, ctx) == 1 && BN_bn2binpad(rr, bytes, 32) == 32;
  if (ok) {
    from_be(RR, bytes);
    uint64_t n[4];
    ok = BN_bn2binpad(order, bytes, 32) == 32;
    from_be(n, bytes);
    ok = ok && memcmp(n, N, sizeof n) == 0 && N[0] * inverse == 1;
  }
  BN_free(rr);
  BN_CTX_free(ctx);
  ready = ok;
}

/* ---- a key: d in Montgomery form -------------------------------------------------------- */

typedef struct {
  uint64_t d_mont[4];
} own_key;

/* What loadKey's handle holds: d for the check, and d again as OpenSSL's signing key. */
typedef struct {
  own_key check;
  EC_KEY *signer;
} key_handle;

/* Marks the handles loadKey makes, so that no other external is taken for one. */
static const napi_type_tag KEY_TAG = {0x6761746568687573ULL, 0x6573323536000001ULL};

/* 1 valid, 0 invalid, -1 internal error. */
static int check(const own_key *key, const uint8_t *input, size_t input_length, const uint8_t sig[64]) {
  uint64_t r[4], s[4], e[4], w[4], w_mont[4], rd[4] = {0}, sum[4] = {0}, k[4] = {0}, x[4];
  uint8_t bytes[32] = {0};
  from_be(r, sig);
  from_be(s, sig + 32);
  if (!in_range(r) || !in_range(s)) return 0;

  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  if (EVP_Digest(input, input_length, digest, &digest_length, sha256, NULL) != 1 || digest_length != 32) return -1;
  from_be(e, digest);
  reduce_once(e);

  int result = -1;
  BN_CTX *ctx = BN_CTX_new();
  BIGNUM *s_bn = BN_bin2bn(sig + 32, 32, NULL);
  BIGNUM *w_bn = BN_new();
  BIGNUM *k_bn = BN_new();
  BIGNUM *x_bn = BN_new();
  EC_POINT *point = EC_POINT_new(group);
  if (ctx == NULL || s_bn == NULL || w_bn == NULL || k_bn == NULL || x_bn == NULL || point == NULL) goto done;

  /* s is public: OpenSSL's variable-time inverse is fine. */
  if (BN_mod_inverse(w_bn, s_bn, order, ctx) == NULL || BN_bn2binpad(w_bn, bytes, 32) != 32) goto done;
  from_be(w, bytes);
  mont_mul(w_mont, w, RR);       /* w·R */
  mont_mul(rd, r, key->d_mont);  /* r·d */
  add_mod(sum, rd, e);           /* e + r·d */
  mont_mul(k, sum, w_mont);      /* (e + r·d)·w */

  /* k = 0 means X is the point at infinity, which standard verification refuses. */
  if ((k[0] | k[1] | k[2] | k[3]) == 0) {
    result = 0;
    goto done;
  }
  to_be(bytes, k);
  if (BN_bin2bn(bytes, 32, k_bn) == NULL) goto done;
  BN_set_flags(k_bn, BN_FLG_CONSTTIME);
  if (EC_POINT_mul(group, point, k_bn, NULL, NULL, ctx) != 1) goto done;
  if (EC_POINT_get_affine_coordinates(group, point, x_bn, NULL, ctx) != 1 || BN_bn2binpad(x_bn, bytes, 32) != 32) goto done;
  from_be(x, bytes);
  reduce_once(x);
  result = memcmp(x, r, sizeof x) == 0;

done:
  wipe(rd, sizeof rd);
  wipe(sum, sizeof sum);
  wipe(k, sizeof k);
  wipe(bytes, sizeof bytes);
  BN_clear_free(k_bn);
  BN_free(s_bn);
  BN_free(w_bn);
  BN_free(x_bn);
  EC_POINT_free(point);
  BN_CTX_free(ctx);
  return result;
}

/* ---- N-API ------------------------------------------------------------------------------ */

static napi_value type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static void free_handle(key_handle *handle) {
  EC_KEY_free(handle->signer); /* clears d */
  wipe(handle, sizeof *handle);
  free(handle);
}

static void finalize_key(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  free_handle(data);
}

/* d (big-endian, in range) as an EC_KEY with its public point, or NULL. */
static EC_KEY *signing_key(const uint8_t bytes[32]) {
  EC_KEY *ec = EC_KEY_new();
  BIGNUM *d = BN_secure_new();
  EC_POINT *point = EC_POINT_new(group);
  BN_CTX *ctx = BN_CTX_new();
  int ok = ec != NULL && d != NULL && point != NULL && ctx != NULL && BN_bin2bn(bytes, 32, d) != NULL;
  if (ok) {
    BN_set_flags(d, BN_FLG_CONSTTIME);
    ok = EC_KEY_set_group(ec, group) == 1 && EC_KEY_set_private_key(ec, d) == 1 && EC_POINT_mul(group, point, d, NULL, NULL, ctx) == 1 &&
         EC_KEY_set_public_key(ec, point) == 1;
  }
  BN_clear_free(d);
  EC_POINT_free(point);
  BN_CTX_free(ctx);
  if (ok) return ec;
  EC_KEY_free(ec);
  return NULL;
}

/* loadKey(d: Buffer of 32 bytes, big-endian, 0 < d < n) → an opaque handle. */
static napi_value load_key(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_buffer = false;
  if (argc < 1 || napi_is_buffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer) return type_error(env, "d must be a Buffer");
  uint8_t *bytes;
  size_t length;
  napi_get_buffer_info(env, argv[0], (void **)&bytes, &length);
  if (length != 32) return type_error(env, "d must be 32 bytes");
  uint64_t d[4];
  from_be(d, bytes);
  if (!in_range(d)) {
    wipe(d, sizeof d);
    return type_error(env, "d is not a P-256 private scalar");
  }
  key_handle *key = calloc(1, sizeof *key);
  if (key == NULL) {
    wipe(d, sizeof d);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  mont_mul(key->check.d_mont, d, RR);
  wipe(d, sizeof d);
  key->signer = signing_key(bytes);
  if (key->signer == NULL) {
    free_handle(key);
    napi_throw_error(env, NULL, "OpenSSL could not load the P-256 key");
    return NULL;
  }
  napi_value handle;
  if (napi_create_external(env, key, finalize_key, NULL, &handle) != napi_ok) {
    free_handle(key);
    return NULL;
  }
  if (napi_type_tag_object(env, handle, &KEY_TAG) != napi_ok) return NULL;
  return handle;
}

typedef struct {
  key_handle *key;
  uint8_t *input, *sig;
  size_t input_length, sig_length;
} check_args;

/* The handle in `value`, or NULL after throwing a TypeError. */
static key_handle *get_handle(napi_env env, napi_value value) {
  bool tagged = false;
  key_handle *key = NULL;
  if (napi_check_object_type_tag(env, value, &KEY_TAG, &tagged) != napi_ok || !tagged) {
    type_error(env, "expected a key handle");
    return NULL;
  }
  napi_get_value_external(env, value, (void **)&key);
  return key;
}

/* (handle, signingInput: Buffer, signature: Buffer); 0 after throwing a TypeError. */
static int get_check_args(napi_env env, napi_callback_info info, check_args *args) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool input_ok = false, sig_ok = false;
  if (argc < 3) {
    type_error(env, "expected a key handle, a signing input and a signature");
    return 0;
  }
  if ((args->key = get_handle(env, argv[0])) == NULL) return 0;
  napi_is_buffer(env, argv[1], &input_ok);
  napi_is_buffer(env, argv[2], &sig_ok);
  if (!input_ok || !sig_ok) {
    type_error(env, "signing input and signature must be Buffers");
    return 0;
  }
  napi_get_buffer_info(env, argv[1], (void **)&args->input, &args->input_length);
  napi_get_buffer_info(env, argv[2], (void **)&args->sig, &args->sig_length);
  return 1;
}

/* verify(handle, signingInput: Buffer, signature: Buffer) → boolean; a signature not 64 bytes is false. */
static napi_value verify(napi_env env, napi_callback_info info) {
  check_args args;
  if (!get_check_args(env, info, &args)) return NULL;
  int result = args.sig_length == 64 ? check(&args.key->check, args.input, args.input_length, args.sig) : 0;
  if (result < 0) {
    napi_throw_error(env, NULL, "ES256 check failed inside OpenSSL");
    return NULL;
  }
  napi_value out;
  napi_get_boolean(env, result == 1, &out);
  return out;
}

/* ---- the same on libuv's thread pool ---------------------------------------------------- */

typedef struct {
  napi_async_work work;
  napi_deferred deferred;
  own_key key; /* a copy: the handle may be collected while the job runs */
  uint8_t sig[64];
  size_t input_length;
  int result;
  uint8_t input[]; /* input_length bytes */
} check_job;

static void free_job(check_job *job) {
  wipe(&job->key, sizeof job->key);
  free(job);
}

static void execute_check(napi_env env, void *data) {
  (void)env;
  check_job *job = data;
  job->result = check(&job->key, job->input, job->input_length, job->sig);
}

static void complete_check(napi_env env, napi_status status, void *data) {
  check_job *job = data;
  napi_value result;
  if (status == napi_ok && job->result >= 0) {
    napi_get_boolean(env, job->result == 1, &result);
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_value message;
    napi_create_string_utf8(env, status == napi_ok ? "ES256 check failed inside OpenSSL" : "ES256 check was cancelled", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &result);
    napi_reject_deferred(env, job->deferred, result);
  }
  napi_delete_async_work(env, job->work);
  free_job(job);
}

/* verifyAsync(handle, signingInput, signature) → Promise<boolean>, the check run on the pool. */
static napi_value verify_async(napi_env env, napi_callback_info info) {
  check_args args;
  if (!get_check_args(env, info, &args)) return NULL;
  napi_value promise;
  napi_deferred deferred;
  if (napi_create_promise(env, &deferred, &promise) != napi_ok) return NULL;
  if (args.sig_length != 64) {
    napi_value no;
    napi_get_boolean(env, false, &no);
    napi_resolve_deferred(env, deferred, no);
    return promise;
  }
  check_job *job = malloc(sizeof *job + args.input_length);
  if (job == NULL) {
    napi_value message, error;
    napi_create_string_utf8(env, "out of memory", NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &error);
    napi_reject_deferred(env, deferred, error);
    return promise;
  }
  job->deferred = deferred;
  job->key = args.key->check;
  memcpy(job->sig, args.sig, 64);
  job->input_length = args.input_length;
  memcpy(job->input, args.input, args.input_length);
  job->result = -1;
  napi_value name;
  napi_create_string_utf8(env, "gatehouse.es256", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, NULL, name, execute_check, complete_check, job, &job->work) != napi_ok ||
      napi_queue_async_work(env, job->work) != napi_ok) {
    free_job(job);
    napi_throw_error(env, NULL, "could not queue the ES256 check");
    return NULL;
  }
  return promise;
}

/* ---- signing ----------------------------------------------------------------------------- */

/* sign(handle, signingInput: Buffer) → the 64-byte ES256 signature (r ‖ s, JWS's form). */
static napi_value sign_input(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return type_error(env, "expected a key handle and a signing input");
  key_handle *key = get_handle(env, argv[0]);
  if (key == NULL) return NULL;
  bool is_buffer = false;
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer) return type_error(env, "the signing input must be a Buffer");
  uint8_t *input;
  size_t input_length;
  napi_get_buffer_info(env, argv[1], (void **)&input, &input_length);
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned int digest_length = 0;
  ECDSA_SIG *sig = NULL;
  if (EVP_Digest(input, input_length, digest, &digest_length, sha256, NULL) == 1 && digest_length == 32) {
    sig = ECDSA_do_sign(digest, 32, key->signer);
  }
  uint8_t *out;
  napi_value result;
  const BIGNUM *r = NULL, *s = NULL;
  if (sig != NULL) ECDSA_SIG_get0(sig, &r, &s);
  int ok = sig != NULL && napi_create_buffer(env, 64, (void **)&out, &result) == napi_ok && BN_bn2binpad(r, out, 32) == 32 &&
           BN_bn2binpad(s, out + 32, 32) == 32;
  ECDSA_SIG_free(sig);
  if (!ok) {
    napi_throw_error(env, NULL, "ES256 signing failed inside OpenSSL");
    return NULL;
  }
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  pthread_once(&once, init_once);
  if (!ready) {
    napi_throw_error(env, NULL, "OpenSSL's P-256 group is not available");
    return NULL;
  }
  napi_property_descriptor properties[] = {
      {"loadKey", NULL, load_key, NULL, NULL, NULL, napi_default, NULL},
      {"verify", NULL, verify, NULL, NULL, NULL, napi_default, NULL},
      {"verifyAsync", NULL, verify_async, NULL, NULL, NULL, napi_default, NULL},
      {"sign", NULL, sign_input, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
