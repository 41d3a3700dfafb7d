/*
 * Argon2 (the reference implementation in ./argon2) for Node, computed on libuv's thread pool,
 * with its working memory kept between hashes, and a queue of its own so that a thread which
 * finishes a hash goes straight on to the next (see "the hashing threads" below).
 *
 * Why not only @node-rs/argon2: it maps a fresh region for every hash and unmaps it after, so
 * each argon2id login at m=19 MiB costs the kernel 19 MiB of page zeroing, the library zeroes it
 * again, and two hashes at once in one process contend in the kernel's memory management. Under
 * `perf` that was 18% of the server's CPU during a login storm. Here a finished hash hands its
 * memory to the next: no zeroing, no page faults, no unmapping while logins run; trim() gives
 * idle memory back to the system when logins stop.
 *
 * The memory is not wiped between hashes: the next hash overwrites every block before it reads
 * it, and what a block holds is derived from the salted hash, not the password. Buffers are
 * unmapped (and so zeroed by the kernel) by trim().
 */
#define _GNU_SOURCE
#define NAPI_VERSION 8 /* thread-safe functions, instance data */
#include <errno.h>
#include <node_api.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "argon2.h"
#include "core.h"

extern int FLAG_clear_internal_memory;

/* ---- working memory --------------------------------------------------------------------- */

#define HUGE_PAGE ((size_t)2 << 20)
/* Idle buffers kept at most; a release beyond that unmaps at once (bounds imported large-m hashes). */
#define MAX_IDLE 16

typedef struct idle_buffer {
  struct idle_buffer *next; /* lives in the buffer itself while it is idle */
  size_t size;
} idle_buffer;

static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static idle_buffer *idle_list = NULL;
static unsigned idle_count = 0;

/* Whole huge pages, so the kernel can back the buffer with transparent huge pages. */
static size_t mapped_size(size_t bytes) { return (bytes + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1); }

static int acquire(uint8_t **memory, size_t bytes) {
  size_t size = mapped_size(bytes);
  pthread_mutex_lock(&pool_lock);
  idle_buffer **at = &idle_list;
  while (*at != NULL && (*at)->size != size) at = &(*at)->next;
  idle_buffer *found = *at;
  if (found != NULL) {
    *at = found->next;
    idle_count--;
  }
  pthread_mutex_unlock(&pool_lock);
  if (found != NULL) {
    *memory = (uint8_t *)found;
    return 0;
  }
  /* Map one huge page more than needed and cut the region down to an aligned one. */
  uint8_t *raw = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) {
    *memory = NULL;
    return -1;
  }
  uint8_t *aligned = (uint8_t *)(((uintptr_t)raw + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
  if (aligned > raw) munmap(raw, (size_t)(aligned - raw));
  size_t tail = (size_t)((raw + size + HUGE_PAGE) - (aligned + size));
  if (tail > 0) munmap(aligned + size, tail);
#ifdef MADV_HUGEPAGE
  madvise(aligned, size, MADV_HUGEPAGE);
#endif
  *memory = aligned;
  return 0;
}

static void release(uint8_t *memory, size_t bytes) {
  size_t size = mapped_size(bytes);
  pthread_mutex_lock(&pool_lock);
  if (idle_count < MAX_IDLE) {
    idle_buffer *buffer = (idle_buffer *)memory;
    buffer->size = size;
    buffer->next = idle_list;
    idle_list = buffer;
    idle_count++;
    memory = NULL;
  }
  pthread_mutex_unlock(&pool_lock);
  if (memory != NULL) munmap(memory, size);
}

/* ---- SIMD: opt.c is compiled once per instruction set (binding.gyp); pick at load ------- */

#if defined(__x86_64__) || defined(__i386__)
void gatehouse_fill_segment_avx512(const argon2_instance_t *instance, argon2_position_t position);
void gatehouse_fill_segment_avx2(const argon2_instance_t *instance, argon2_position_t position);
void gatehouse_fill_segment_sse2(const argon2_instance_t *instance, argon2_position_t position);

static void (*fill_segment_impl)(const argon2_instance_t *, argon2_position_t) = gatehouse_fill_segment_sse2;
static const char *instruction_set = "sse2";

/* core.c calls this for every segment of every pass. */
void fill_segment(const argon2_instance_t *instance, argon2_position_t position) { fill_segment_impl(instance, position); }

/* The widest set the CPU has, up to `cap` (avx512f, avx2 or sse2). Set before any hash runs. */
static void pick_instruction_set(const char *cap) {
  int allow_avx512 = strcmp(cap, "avx512f") == 0;
  int allow_avx2 = allow_avx512 || strcmp(cap, "avx2") == 0;
  __builtin_cpu_init();
  if (allow_avx512 && __builtin_cpu_supports("avx512f")) {
    fill_segment_impl = gatehouse_fill_segment_avx512;
    instruction_set = "avx512f";
  } else if (allow_avx2 && __builtin_cpu_supports("avx2")) {
    fill_segment_impl = gatehouse_fill_segment_avx2;
    instruction_set = "avx2";
  } else {
    fill_segment_impl = gatehouse_fill_segment_sse2;
    instruction_set = "sse2";
  }
}
#else
static const char *instruction_set = "portable";
static void pick_instruction_set(const char *cap) { (void)cap; }
#endif

/* ---- N-API ------------------------------------------------------------------------------ */

#define MAX_SALT 64
#define MAX_OUT 64

typedef struct hash_job {
  struct hash_job *next; /* in the queue of hashes waiting for a thread */
  napi_deferred deferred;
  uint8_t *password;
  size_t password_length;
  uint8_t salt[MAX_SALT];
  size_t salt_length;
  uint32_t time_cost, memory_cost, parallelism, version;
  argon2_type type;
  uint8_t out[MAX_OUT];
  size_t out_length;
  int status;
} hash_job;

static void wipe_and_free(hash_job *job) {
  if (job->password != NULL) {
    memset(job->password, 0, job->password_length);
    free(job->password);
  }
  free(job);
}

static void compute(hash_job *job) {
  argon2_context context = {
      .out = job->out,
      .outlen = (uint32_t)job->out_length,
      .pwd = job->password,
      .pwdlen = (uint32_t)job->password_length,
      .salt = job->salt,
      .saltlen = (uint32_t)job->salt_length,
      .t_cost = job->time_cost,
      .m_cost = job->memory_cost,
      .lanes = job->parallelism,
      .threads = job->parallelism,
      .version = job->version,
      .allocate_cbk = acquire,
      .free_cbk = release,
      .flags = ARGON2_DEFAULT_FLAGS,
  };
  job->status = argon2_ctx(&context, job->type);
}

/* ---- the hashing threads ------------------------------------------------------------------ */
/*
 * Hashes wait in a queue of the addon's own, and a pool thread that finishes one takes the
 * next itself. Each hash as its own libuv job would instead go back to the event loop first:
 * its completion wakes the event loop, which queues the next hash, which wakes a pool thread,
 * and the core that finished sits idle meanwhile (longer when the event loop is busy, or when
 * the kernel puts the woken thread on the busy core and leaves the idle one idle). setHashThreads
 * bounds how many runners are started (a runner going keeps taking hashes until the queue is
 * empty); 0, the default, starts one for each hash queued.
 */
typedef struct {
  pthread_mutex_t lock;
  hash_job *head, *tail;
  uint32_t limit;   /* setHashThreads */
  uint32_t running; /* runners on the pool */
  int closing;      /* the environment is gone: runners drop what is left, the last frees this */
  uint32_t outstanding; /* hashes not yet answered; event loop only. The tsfn keeps the loop alive while > 0 */
  napi_threadsafe_function done;
} hashing;

typedef struct {
  napi_async_work work;
  hashing *h;
} runner;

static void free_hashing(hashing *h) {
  pthread_mutex_destroy(&h->lock);
  free(h);
}

/* One pool thread: hashes until the queue is empty. */
static void run_hashes(napi_env env, void *data) {
  (void)env;
  hashing *h = ((runner *)data)->h;
  for (;;) {
    pthread_mutex_lock(&h->lock);
    hash_job *job = h->head;
    if (job != NULL) {
      h->head = job->next;
      if (h->head == NULL) h->tail = NULL;
    }
    int closing = h->closing;
    if (job == NULL || closing) h->running--;
    int last = closing && h->running == 0;
    pthread_mutex_unlock(&h->lock);
    if (job == NULL || closing) {
      if (job != NULL) wipe_and_free(job);
      napi_release_threadsafe_function(h->done, napi_tsfn_release);
      if (last) free_hashing(h);
      return;
    }
    compute(job);
    /* Fails only once the environment is closing; then nobody waits for the answer. */
    if (napi_call_threadsafe_function(h->done, job, napi_tsfn_blocking) != napi_ok) wipe_and_free(job);
  }
}

static void runner_done(napi_env env, napi_status status, void *data) {
  (void)status;
  runner *r = data;
  napi_delete_async_work(env, r->work);
  free(r);
}

/* On the event loop, for each finished hash: settles its promise. env is NULL at teardown. */
static void deliver(napi_env env, napi_value callback, void *context, void *data) {
  (void)callback;
  hashing *h = context;
  hash_job *job = data;
  if (env == NULL) {
    wipe_and_free(job);
    return;
  }
  napi_value result;
  if (job->status == ARGON2_OK) {
    void *copy;
    napi_create_buffer_copy(env, job->out_length, job->out, &copy, &result);
    napi_resolve_deferred(env, job->deferred, result);
  } else {
    napi_value message;
    napi_create_string_utf8(env, argon2_error_message(job->status), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, NULL, message, &result);
    napi_reject_deferred(env, job->deferred, result);
  }
  memset(job->out, 0, sizeof job->out);
  wipe_and_free(job);
  if (--h->outstanding == 0) napi_unref_threadsafe_function(env, h->done);
}

/* Queues a job and starts a runner for it if the limit allows; 0 when no runner could start and none will take it. */
static int enqueue(napi_env env, hashing *h, hash_job *job) {
  pthread_mutex_lock(&h->lock);
  if (h->tail != NULL) h->tail->next = job;
  else h->head = job;
  h->tail = job;
  int start = h->limit == 0 || h->running < h->limit;
  if (start) h->running++;
  pthread_mutex_unlock(&h->lock);
  if (h->outstanding++ == 0) napi_ref_threadsafe_function(env, h->done);
  if (!start) return 1;
  runner *r = calloc(1, sizeof *r);
  napi_value name;
  napi_create_string_utf8(env, "gatehouse.argon2", NAPI_AUTO_LENGTH, &name);
  if (r != NULL && napi_acquire_threadsafe_function(h->done) == napi_ok) {
    r->h = h;
    if (napi_create_async_work(env, NULL, name, run_hashes, runner_done, r, &r->work) == napi_ok) {
      if (napi_queue_async_work(env, r->work) == napi_ok) return 1;
      napi_delete_async_work(env, r->work);
    }
    napi_release_threadsafe_function(h->done, napi_tsfn_release);
  }
  free(r);
  /* Out of memory. The job stays queued if another runner will take it; otherwise it is taken back. */
  pthread_mutex_lock(&h->lock);
  h->running--;
  int taken_back = 0;
  if (h->running == 0) {
    hash_job **at = &h->head, *previous = NULL;
    while (*at != NULL && *at != job) {
      previous = *at;
      at = &(*at)->next;
    }
    if (*at == job) {
      *at = job->next;
      if (h->tail == job) h->tail = previous;
      taken_back = 1;
    }
  }
  pthread_mutex_unlock(&h->lock);
  if (taken_back && --h->outstanding == 0) napi_unref_threadsafe_function(env, h->done);
  return !taken_back;
}

static void close_hashing(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  hashing *h = data;
  pthread_mutex_lock(&h->lock);
  h->closing = 1;
  int idle = h->running == 0;
  hash_job *job = h->head;
  h->head = h->tail = NULL;
  pthread_mutex_unlock(&h->lock);
  while (job != NULL) {
    hash_job *next = job->next;
    wipe_and_free(job);
    job = next;
  }
  if (idle) free_hashing(h);
}

static napi_value type_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

static int read_uint32(napi_env env, napi_value value, uint32_t *out) { return napi_get_value_uint32(env, value, out) == napi_ok; }

/* hashRaw(password: Buffer, salt: Buffer, timeCost, memoryCost, parallelism, type 0|1|2, version 16|19, hashLength): Promise<Buffer> */
static napi_value hash_raw(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 8) return type_error(env, "hashRaw takes 8 arguments");
  bool is_buffer;
  void *password, *salt;
  size_t password_length, salt_length;
  if (napi_is_buffer(env, argv[0], &is_buffer) != napi_ok || !is_buffer) return type_error(env, "password must be a Buffer");
  if (napi_is_buffer(env, argv[1], &is_buffer) != napi_ok || !is_buffer) return type_error(env, "salt must be a Buffer");
  napi_get_buffer_info(env, argv[0], &password, &password_length);
  napi_get_buffer_info(env, argv[1], &salt, &salt_length);
  uint32_t time_cost, memory_cost, parallelism, type, version, out_length;
  if (!read_uint32(env, argv[2], &time_cost) || !read_uint32(env, argv[3], &memory_cost) || !read_uint32(env, argv[4], &parallelism) ||
      !read_uint32(env, argv[5], &type) || !read_uint32(env, argv[6], &version) || !read_uint32(env, argv[7], &out_length)) {
    return type_error(env, "costs, type, version and hash length must be numbers");
  }
  if (salt_length > MAX_SALT || out_length > MAX_OUT || type > Argon2_id || (version != ARGON2_VERSION_10 && version != ARGON2_VERSION_13)) {
    return type_error(env, "salt, hash length, type or version out of range");
  }
  hash_job *job = calloc(1, sizeof *job);
  if (job == NULL) return type_error(env, "out of memory");
  job->password = malloc(password_length > 0 ? password_length : 1);
  if (job->password == NULL) {
    wipe_and_free(job);
    return type_error(env, "out of memory");
  }
  memcpy(job->password, password, password_length);
  job->password_length = password_length;
  memcpy(job->salt, salt, salt_length);
  job->salt_length = salt_length;
  job->time_cost = time_cost;
  job->memory_cost = memory_cost;
  job->parallelism = parallelism;
  job->type = (argon2_type)type;
  job->version = version;
  job->out_length = out_length;

  hashing *h;
  napi_value promise;
  if (napi_get_instance_data(env, (void **)&h) != napi_ok || h == NULL || napi_create_promise(env, &job->deferred, &promise) != napi_ok) {
    wipe_and_free(job);
    return type_error(env, "could not queue the hash");
  }
  if (!enqueue(env, h, job)) {
    wipe_and_free(job);
    return type_error(env, "could not queue the hash");
  }
  return promise;
}

/* setHashThreads(n): at most n pool threads hash at once (0: one per queued hash); returns n. */
static napi_value set_hash_threads(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t limit;
  hashing *h;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 || !read_uint32(env, argv[0], &limit) || limit > 1024) {
    return type_error(env, "setHashThreads takes a number of threads from 0 to 1024");
  }
  if (napi_get_instance_data(env, (void **)&h) != napi_ok || h == NULL) return type_error(env, "the addon is not set up");
  pthread_mutex_lock(&h->lock);
  h->limit = limit;
  pthread_mutex_unlock(&h->lock);
  return argv[0];
}

/* trim(): unmaps every idle buffer; returns how many. */
static napi_value trim(napi_env env, napi_callback_info info) {
  (void)info;
  pthread_mutex_lock(&pool_lock);
  idle_buffer *buffer = idle_list;
  idle_list = NULL;
  idle_count = 0;
  pthread_mutex_unlock(&pool_lock);
  uint32_t freed = 0;
  while (buffer != NULL) {
    idle_buffer *next = buffer->next;
    munmap(buffer, buffer->size);
    buffer = next;
    freed++;
  }
  napi_value result;
  napi_create_uint32(env, freed, &result);
  return result;
}

/* idleBuffers(): how many buffers wait for the next hash. */
static napi_value idle_buffers(napi_env env, napi_callback_info info) {
  (void)info;
  pthread_mutex_lock(&pool_lock);
  uint32_t count = idle_count;
  pthread_mutex_unlock(&pool_lock);
  napi_value result;
  napi_create_uint32(env, count, &result);
  return result;
}

/* useInstructionSet(cap): picks the widest set up to cap; returns the one picked. */
static napi_value use_instruction_set(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  char cap[16];
  size_t length;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 1 ||
      napi_get_value_string_utf8(env, argv[0], cap, sizeof cap, &length) != napi_ok ||
      (strcmp(cap, "avx512f") != 0 && strcmp(cap, "avx2") != 0 && strcmp(cap, "sse2") != 0)) {
    return type_error(env, "useInstructionSet takes avx512f, avx2 or sse2");
  }
  pick_instruction_set(cap);
  napi_value result;
  napi_create_string_utf8(env, instruction_set, NAPI_AUTO_LENGTH, &result);
  return result;
}

/* instructionSet(): the set hashes run with. */
static napi_value current_instruction_set(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value result;
  napi_create_string_utf8(env, instruction_set, NAPI_AUTO_LENGTH, &result);
  return result;
}

/* ---- the pool's threads yield to the event loop ------------------------------------------ */

/*
 * Linux wakes a thread that has slept with a preference over the one running: a pool thread
 * handed a signature check preempts the event loop that handed it over, and the event loop
 * waits for a core while its requests wait for it. SCHED_BATCH marks a thread as CPU-bound: it
 * keeps its fair share of the CPU (same weight as nice 0) but does not preempt on wake-up. Any
 * thread may switch itself to it from SCHED_OTHER, no privilege needed.
 *
 * libuv's pool has no API to reach its threads, so `count` jobs are queued that each switch
 * their own thread and then wait until all `count` have arrived (or the deadline passes): no
 * job can start on a thread another job holds, so with `count` = the pool's size every thread
 * is reached once.
 */
typedef struct batch_call {
  pthread_mutex_t lock;
  pthread_cond_t arrived_cond;
  uint32_t expected, arrived, completed, switched;
  pthread_t *threads; /* distinct threads switched, `switched` of them */
  struct timespec deadline;
  napi_deferred deferred;
} batch_call;

typedef struct batch_job {
  batch_call *call;
  napi_async_work work;
} batch_job;

static void batch_execute(napi_env env, void *data) {
  (void)env;
  batch_call *call = ((batch_job *)data)->call;
  int ok = 0;
#ifdef SCHED_BATCH
  struct sched_param param = {0};
  ok = sched_setscheduler(0, SCHED_BATCH, &param) == 0; /* 0: the calling thread */
#endif
  pthread_mutex_lock(&call->lock);
  call->arrived++;
  int seen = 0;
  for (uint32_t i = 0; i < call->switched; i++) seen |= pthread_equal(call->threads[i], pthread_self());
  if (ok && !seen) call->threads[call->switched++] = pthread_self();
  pthread_cond_broadcast(&call->arrived_cond);
  while (call->arrived < call->expected) {
    if (pthread_cond_timedwait(&call->arrived_cond, &call->lock, &call->deadline) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&call->lock);
}

static void batch_complete(napi_env env, napi_status status, void *data) {
  (void)status;
  batch_job *job = data;
  batch_call *call = job->call;
  napi_delete_async_work(env, job->work);
  free(job);
  /* Completions run on the event loop, one at a time: the last one answers. */
  if (++call->completed < call->expected) return;
  napi_value result;
  napi_create_uint32(env, call->switched, &result);
  napi_resolve_deferred(env, call->deferred, result);
  pthread_cond_destroy(&call->arrived_cond);
  pthread_mutex_destroy(&call->lock);
  free(call->threads);
  free(call);
}

/* batchPoolThreads(count, timeoutMs): Promise<number of distinct pool threads now SCHED_BATCH> */
static napi_value batch_pool_threads(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  uint32_t count, timeout_ms;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 2 || !read_uint32(env, argv[0], &count) ||
      !read_uint32(env, argv[1], &timeout_ms) || count < 1 || count > 1024 || timeout_ms > 60000) {
    return type_error(env, "batchPoolThreads takes a thread count (1 to 1024) and a timeout in ms (at most 60000)");
  }
  batch_call *call = calloc(1, sizeof *call);
  pthread_t *threads = calloc(count, sizeof *threads);
  if (call == NULL || threads == NULL) {
    free(call);
    free(threads);
    return type_error(env, "out of memory");
  }
  call->threads = threads;
  call->expected = count;
  pthread_mutex_init(&call->lock, NULL);
  pthread_cond_init(&call->arrived_cond, NULL);
  clock_gettime(CLOCK_REALTIME, &call->deadline); /* pthread_cond_timedwait's clock */
  call->deadline.tv_sec += timeout_ms / 1000;
  call->deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
  if (call->deadline.tv_nsec >= 1000000000L) {
    call->deadline.tv_sec++;
    call->deadline.tv_nsec -= 1000000000L;
  }
  napi_value promise, name;
  napi_create_promise(env, &call->deferred, &promise);
  napi_create_string_utf8(env, "gatehouse.batchPoolThreads", NAPI_AUTO_LENGTH, &name);
  for (uint32_t i = 0; i < count; i++) {
    batch_job *job = calloc(1, sizeof *job);
    /* Queued jobs cannot be taken back: a failure here is out of memory, and the process ends. */
    if (job == NULL) napi_fatal_error("batchPoolThreads", NAPI_AUTO_LENGTH, "out of memory", NAPI_AUTO_LENGTH);
    job->call = call;
    if (napi_create_async_work(env, NULL, name, batch_execute, batch_complete, job, &job->work) != napi_ok ||
        napi_queue_async_work(env, job->work) != napi_ok) {
      napi_fatal_error("batchPoolThreads", NAPI_AUTO_LENGTH, "could not queue a job", NAPI_AUTO_LENGTH);
    }
  }
  return promise;
}

NAPI_MODULE_INIT() {
  /* Buffers are reused, not wiped after each hash: see the top of this file. */
  FLAG_clear_internal_memory = 0;
  pick_instruction_set("avx512f");
  hashing *h = calloc(1, sizeof *h);
  napi_value name;
  napi_create_string_utf8(env, "gatehouse.argon2.done", NAPI_AUTO_LENGTH, &name);
  if (h == NULL || pthread_mutex_init(&h->lock, NULL) != 0 ||
      napi_create_threadsafe_function(env, NULL, NULL, name, 0, 1, NULL, NULL, h, deliver, &h->done) != napi_ok ||
      napi_unref_threadsafe_function(env, h->done) != napi_ok || napi_set_instance_data(env, h, close_hashing, NULL) != napi_ok) {
    napi_throw_error(env, NULL, "gatehouse_argon2: could not set up");
    return NULL;
  }
  napi_property_descriptor properties[] = {
      {"hashRaw", NULL, hash_raw, NULL, NULL, NULL, napi_default, NULL},
      {"setHashThreads", NULL, set_hash_threads, NULL, NULL, NULL, napi_default, NULL},
      {"trim", NULL, trim, NULL, NULL, NULL, napi_default, NULL},
      {"idleBuffers", NULL, idle_buffers, NULL, NULL, NULL, napi_default, NULL},
      {"useInstructionSet", NULL, use_instruction_set, NULL, NULL, NULL, napi_default, NULL},
      {"instructionSet", NULL, current_instruction_set, NULL, NULL, NULL, napi_default, NULL},
      {"batchPoolThreads", NULL, batch_pool_threads, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof properties / sizeof properties[0], properties);
  return exports;
}
