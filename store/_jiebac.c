/* An exact port of jieba 0.42.1's accurate mode with HMM (Tokenizer.cut) and search mode (cut_for_search).
 *
 * The same algorithm, step for step, so the tokens are the same ones: blocks of [\u4E00-\u9FD5a-zA-Z0-9+#&._%-]
 * are cut on a prefix dictionary (DAG of dictionary words, then the maximum-probability route computed backwards
 * with the same floating-point operations in the same order, ties to the longer word as Python's max over
 * (value, x) tuples does); runs of single characters that are not a dictionary word go to the HMM (finalseg):
 * Viterbi over B/M/E/S with jieba's own start, transition and emission tables, ties broken as max over
 * (probability, state) tuples does; everything outside the blocks comes out one character at a time.
 *
 * The dictionary (words and their prefixes, frequencies, the total) is copied from jieba's own Tokenizer.FREQ and
 * kept in step by store/tokens.py, which adds user words to both with jieba's frequency rule.
 *
 * cut(text, search, words_only, hmm): hmm=False is jieba's HMM=False (__cut_DAG_NO_HMM); search adds cut_for_search's dictionary 2- and 3-grams before each word longer
 * than 2 and 3 characters; words_only keeps only tokens holding a letter or digit (what store.tokens keeps:
 * str.isalnum on some character). Build flags: -ffp-contract=off, so no fused multiply-add changes a sum. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#if defined(__GNUC__) && defined(__x86_64__)
#include <immintrin.h>
#define MINHASH_AVX2 1
#endif

#define MIN_FLOAT (-3.14e100)
#define HAN_LO 0x4E00
#define HAN_HI 0x9FD5 /* inclusive */

typedef struct {
    uint64_t hash;
    uint32_t off; /* into pool; len 0 = empty slot */
    uint32_t len;
    long long freq;
} Entry;

typedef struct {
    PyObject_HEAD
    Entry *table;
    size_t cap; /* power of two */
    size_t used;
    uint32_t *pool;
    size_t pool_len, pool_cap;
    long long total;
    double logtotal;
    /* HMM: states in order B, E, M, S (the order of their letters, which is what tuple ties compare) */
    double start[4];
    double trans[4][4]; /* trans[from][to] */
    double *emit;       /* (HAN_HI - HAN_LO + 1) * 4 */
    /* In front of the table (24 MiB, far beyond a core's cache: each probe into it is a trip to memory), derived
     * from it and kept in step by put(): each Han character's own entry (its frequency, ABSENT when it has none), and a
     * Bloom filter of the entries of every other length or character. The cut probes the table only where the
     * filter lets a probe through: one character's entry never, a prefix that is no entry (how most runs of
     * probes end) hardly ever. */
    long long *single;
    uint64_t *bloom;
    struct TokenSlot *tokens; /* the words cut lately (see token_of); NULL until the first cut */
} Segmenter;

/* The tokens cut lately, each an interned str handed out again (a new reference) when the same characters are cut
 * again: no new str a token, its hash computed once, and — the model tables' keys being interned too
 * (analysis/judgec.py interned) — every dict that knows the word finds it by identity, without reading its
 * characters (a trip to memory a lookup). Direct-mapped by the characters' hash; a collision replaces. */
#define TOKEN_SLOTS ((size_t)1 << 15)
#define TOKEN_MAX_LEN 16
typedef struct TokenSlot {
    uint64_t hash;
    PyObject *word;
} TokenSlot;

enum { B = 0, E = 1, M = 2, S = 3 };

static inline uint64_t step_hash(uint64_t h, Py_UCS4 c) { return (h ^ (uint64_t)c) * 0x100000001b3ULL; }
#define HASH_SEED 0xcbf29ce484222325ULL

static inline size_t slot_of(uint64_t h, size_t mask) {
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return (size_t)h & mask;
}

static int is_han(Py_UCS4 c) { return c >= HAN_LO && c <= HAN_HI; }

#define ABSENT LLONG_MIN
#define SEG_BLOOM_WORDS ((size_t)1 << 17) /* 2^23 bits, 1 MiB: about 2% false positives at 500,000 entries */

/* Two bits of one 64-bit word: one cache line a probe. */
static inline int seg_bloom_has(const uint64_t *bloom, uint64_t h) {
    uint64_t m = h * 0x9E3779B97F4A7C15ULL, bits = (1ULL << ((m >> 20) & 63)) | (1ULL << ((m >> 26) & 63));
    return (bloom[m >> (64 - 17)] & bits) == bits;
}

static inline void seg_bloom_add(uint64_t *bloom, uint64_t h) {
    uint64_t m = h * 0x9E3779B97F4A7C15ULL;
    bloom[m >> (64 - 17)] |= (1ULL << ((m >> 20) & 63)) | (1ULL << ((m >> 26) & 63));
}

/* Note an entry (inserted or given a new frequency) in the arrays in front of the table. */
static void note_entry(Segmenter *self, Py_UCS4 first, size_t len, uint64_t h, long long freq) {
    if (len == 1 && is_han(first))
        self->single[first - HAN_LO] = freq;
    else
        seg_bloom_add(self->bloom, h);
}

/* The arrays in front of the table, allocated empty; -1 with MemoryError set. */
static int front_alloc(Segmenter *self) {
    size_t span = HAN_HI - HAN_LO + 1;
    self->single = PyMem_Malloc(span * sizeof(long long));
    self->bloom = PyMem_Calloc(SEG_BLOOM_WORDS, sizeof(uint64_t));
    if (!self->single || !self->bloom) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < span; i++) self->single[i] = ABSENT;
    return 0;
}

/* jieba's re_han_default: [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-] */
static int in_block(Py_UCS4 c) {
    if (is_han(c)) return 1;
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return 1;
    return c == '+' || c == '#' || c == '&' || c == '.' || c == '_' || c == '%' || c == '-';
}

static int is_ascii_alnum(Py_UCS4 c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Find text[start:start+len] (hash h); NULL when absent. */
static Entry *find(Segmenter *self, int kind, const void *data, Py_ssize_t start, Py_ssize_t len, uint64_t h) {
    size_t mask = self->cap - 1;
    size_t i = slot_of(h, mask);
    for (;;) {
        Entry *e = &self->table[i];
        if (e->len == 0) return NULL;
        if (e->hash == h && (Py_ssize_t)e->len == len) {
            const uint32_t *k = self->pool + e->off;
            Py_ssize_t j = 0;
            for (; j < len; j++)
                if (k[j] != PyUnicode_READ(kind, data, start + j)) break;
            if (j == len) return e;
        }
        i = (i + 1) & mask;
    }
}

/* Is text[start:start+len] (hash h) an entry? Its frequency in *freq when it is: find() behind the arrays in front
 * of the table. */
static inline int probe(Segmenter *self, int kind, const void *data, Py_ssize_t start, Py_ssize_t len, uint64_t h,
                        long long *freq) {
    if (len == 1) {
        Py_UCS4 c = PyUnicode_READ(kind, data, start);
        if (is_han(c)) {
            long long f = self->single[c - HAN_LO];
            if (f == ABSENT) return 0;
            *freq = f;
            return 1;
        }
    }
    if (!seg_bloom_has(self->bloom, h)) return 0;
    Entry *e = find(self, kind, data, start, len, h);
    if (!e) return 0;
    *freq = e->freq;
    return 1;
}

static uint64_t hash_range(int kind, const void *data, Py_ssize_t start, Py_ssize_t len) {
    uint64_t h = HASH_SEED;
    for (Py_ssize_t j = 0; j < len; j++) h = step_hash(h, PyUnicode_READ(kind, data, start + j));
    return h;
}

static int grow(Segmenter *self) {
    size_t ncap = self->cap ? self->cap * 2 : (1u << 16);
    Entry *nt = PyMem_Calloc(ncap, sizeof(Entry));
    if (!nt) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < self->cap; i++) {
        Entry *e = &self->table[i];
        if (e->len == 0) continue;
        size_t j = slot_of(e->hash, ncap - 1);
        while (nt[j].len) j = (j + 1) & (ncap - 1);
        nt[j] = *e;
    }
    PyMem_Free(self->table);
    self->table = nt;
    self->cap = ncap;
    return 0;
}

/* Set the frequency of `word` (overwrite: FREQ[word] = freq), or only insert it with 0 when absent (only_if_absent). */
static int put(Segmenter *self, PyObject *word, Py_ssize_t len, long long freq, int only_if_absent) {
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    if (len <= 0) return 0;
    uint64_t h = hash_range(kind, data, 0, len);
    Entry *e = find(self, kind, data, 0, len, h);
    if (e) {
        if (!only_if_absent) {
            e->freq = freq;
            note_entry(self, PyUnicode_READ(kind, data, 0), (size_t)len, h, freq);
        }
        return 0;
    }
    if ((self->used + 1) * 10 > self->cap * 6 && grow(self) < 0) return -1;
    if (self->pool_len + (size_t)len > self->pool_cap) {
        size_t ncap = self->pool_cap ? self->pool_cap * 2 : (1u << 20);
        while (ncap < self->pool_len + (size_t)len) ncap *= 2;
        uint32_t *np = PyMem_Realloc(self->pool, ncap * sizeof(uint32_t));
        if (!np) {
            PyErr_NoMemory();
            return -1;
        }
        self->pool = np;
        self->pool_cap = ncap;
    }
    for (Py_ssize_t j = 0; j < len; j++) self->pool[self->pool_len + j] = PyUnicode_READ(kind, data, j);
    size_t mask = self->cap - 1;
    size_t i = slot_of(h, mask);
    while (self->table[i].len) i = (i + 1) & mask;
    self->table[i].hash = h;
    self->table[i].off = (uint32_t)self->pool_len;
    self->table[i].len = (uint32_t)len;
    self->table[i].freq = freq;
    self->pool_len += len;
    self->used++;
    note_entry(self, PyUnicode_READ(kind, data, 0), (size_t)len, h, freq);
    return 0;
}

static int set_total(Segmenter *self, PyObject *total) {
    long long t = PyLong_AsLongLong(total);
    if (t == -1 && PyErr_Occurred()) return -1;
    self->total = t;
    /* math.log(int): the int converted to the nearest double, then the C library's log */
    self->logtotal = log((double)t);
    return 0;
}

static int state_index(PyObject *key) {
    if (!PyUnicode_Check(key) || PyUnicode_GET_LENGTH(key) != 1) return -1;
    switch (PyUnicode_READ_CHAR(key, 0)) {
    case 'B': return B;
    case 'E': return E;
    case 'M': return M;
    case 'S': return S;
    }
    return -1;
}

static int Segmenter_init(Segmenter *self, PyObject *args, PyObject *kwds) {
    PyObject *freq, *total, *start_p, *trans_p, *emit_p;
    static char *kwlist[] = {"freq", "total", "start_p", "trans_p", "emit_p", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OO!O!O!", kwlist, &PyDict_Type, &freq, &total, &PyDict_Type,
                                     &start_p, &PyDict_Type, &trans_p, &PyDict_Type, &emit_p))
        return -1;
    if (self->table) return 0; /* already initialised */
    size_t want = 1u << 16;
    while ((size_t)PyDict_GET_SIZE(freq) * 10 > want * 6) want *= 2;
    self->table = PyMem_Calloc(want, sizeof(Entry));
    if (!self->table) {
        PyErr_NoMemory();
        return -1;
    }
    self->cap = want;
    if (front_alloc(self) < 0) return -1;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(freq, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || !PyLong_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "freq must map str to int");
            return -1;
        }
        long long f = PyLong_AsLongLong(value);
        if (f == -1 && PyErr_Occurred()) return -1;
        if (put(self, key, PyUnicode_GET_LENGTH(key), f, 0) < 0) return -1;
    }
    if (set_total(self, total) < 0) return -1;
    for (int i = 0; i < 4; i++) {
        self->start[i] = MIN_FLOAT;
        for (int j = 0; j < 4; j++) self->trans[i][j] = MIN_FLOAT;
    }
    size_t span = HAN_HI - HAN_LO + 1;
    self->emit = PyMem_Malloc(span * 4 * sizeof(double));
    if (!self->emit) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < span * 4; i++) self->emit[i] = MIN_FLOAT;
    pos = 0;
    while (PyDict_Next(start_p, &pos, &key, &value)) {
        int s = state_index(key);
        if (s < 0) continue;
        self->start[s] = PyFloat_AsDouble(value);
    }
    pos = 0;
    while (PyDict_Next(trans_p, &pos, &key, &value)) {
        int s = state_index(key);
        if (s < 0 || !PyDict_Check(value)) continue;
        Py_ssize_t p2 = 0;
        PyObject *k2, *v2;
        while (PyDict_Next(value, &p2, &k2, &v2)) {
            int t = state_index(k2);
            if (t >= 0) self->trans[s][t] = PyFloat_AsDouble(v2);
        }
    }
    pos = 0;
    while (PyDict_Next(emit_p, &pos, &key, &value)) {
        int s = state_index(key);
        if (s < 0 || !PyDict_Check(value)) continue;
        Py_ssize_t p2 = 0;
        PyObject *k2, *v2;
        while (PyDict_Next(value, &p2, &k2, &v2)) {
            if (!PyUnicode_Check(k2) || PyUnicode_GET_LENGTH(k2) != 1) continue;
            Py_UCS4 c = PyUnicode_READ_CHAR(k2, 0);
            if (is_han(c)) self->emit[(c - HAN_LO) * 4 + s] = PyFloat_AsDouble(v2);
        }
    }
    if (PyErr_Occurred()) return -1;
    return 0;
}

static void Segmenter_dealloc(Segmenter *self) {
    if (self->tokens) {
        for (size_t i = 0; i < TOKEN_SLOTS; i++) Py_XDECREF(self->tokens[i].word);
        PyMem_Free(self->tokens);
    }
    PyMem_Free(self->single);
    PyMem_Free(self->bloom);
    PyMem_Free(self->table);
    PyMem_Free(self->pool);
    PyMem_Free(self->emit);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* ---- output ---- */

typedef struct {
    PyObject *list;
    PyObject *text;
    int kind;
    const void *data;
    int words_only;
    Segmenter *self; /* whose token cache serves; NULL: none */
} Out;

/* text[start:end] as a str: the cached one when these characters were cut lately, else a new one, interned and
 * cached (see TokenSlot). */
static PyObject *token_of(Out *o, Py_ssize_t start, Py_ssize_t end) {
    Py_ssize_t len = end - start;
    Segmenter *self = o->self;
    /* The whole text (expand's word itself): that str, as it is, not a copy */
    if (!self || len > TOKEN_MAX_LEN || (start == 0 && end == PyUnicode_GET_LENGTH(o->text)))
        return PyUnicode_Substring(o->text, start, end);
    if (!self->tokens) {
        self->tokens = PyMem_Calloc(TOKEN_SLOTS, sizeof(TokenSlot));
        if (!self->tokens) return PyErr_NoMemory();
    }
    uint64_t h = hash_range(o->kind, o->data, start, len);
    TokenSlot *slot = &self->tokens[slot_of(h, TOKEN_SLOTS - 1)];
    PyObject *w = slot->word;
    if (w && slot->hash == h && PyUnicode_GET_LENGTH(w) == len) {
        int wk = PyUnicode_KIND(w);
        const void *wd = PyUnicode_DATA(w);
        Py_ssize_t j = 0;
        while (j < len && PyUnicode_READ(wk, wd, j) == PyUnicode_READ(o->kind, o->data, start + j)) j++;
        if (j == len) {
            Py_INCREF(w);
            return w;
        }
    }
    PyObject *s = PyUnicode_Substring(o->text, start, end);
    if (!s) return NULL;
    if (PyUnicode_CheckExact(s)) PyUnicode_InternInPlace(&s);
    Py_INCREF(s);
    Py_XSETREF(slot->word, s);
    slot->hash = h;
    return s;
}

static int emit(Out *o, Py_ssize_t start, Py_ssize_t end) {
    if (o->words_only) {
        Py_ssize_t j = start;
        for (; j < end; j++)
            if (Py_UNICODE_ISALNUM(PyUnicode_READ(o->kind, o->data, j))) break;
        if (j == end) return 0;
    }
    PyObject *s = token_of(o, start, end);
    if (!s) return -1;
    int r = PyList_Append(o->list, s);
    Py_DECREF(s);
    return r;
}

/* cut_for_search: the dictionary's 2-grams, then 3-grams, inside a word, then the word */
static int emit_word(Segmenter *self, Out *o, Py_ssize_t start, Py_ssize_t end, int search) {
    Py_ssize_t n = end - start;
    if (search && n > 2) {
        for (Py_ssize_t i = start; i + 2 <= end; i++) {
            long long f;
            if (probe(self, o->kind, o->data, i, 2, hash_range(o->kind, o->data, i, 2), &f) && f && emit(o, i, i + 2) < 0)
                return -1;
        }
        if (n > 3) {
            for (Py_ssize_t i = start; i + 3 <= end; i++) {
                long long f;
                if (probe(self, o->kind, o->data, i, 3, hash_range(o->kind, o->data, i, 3), &f) && f &&
                    emit(o, i, i + 3) < 0)
                    return -1;
            }
        }
    }
    return emit(o, start, end);
}

/* finalseg.__cut on a run of [\u4E00-\u9FD5] */
static int hmm_cut(Segmenter *self, Out *o, Py_ssize_t start, Py_ssize_t end, int search) {
    static const int prev[4][2] = {/* B */ {E, S}, /* E */ {B, M}, /* M */ {M, B}, /* S */ {S, E}};
    Py_ssize_t n = end - start;
    double (*V)[4] = NULL;
    unsigned char *back = PyMem_Malloc((size_t)n * 4);
    double *vbuf = PyMem_Malloc((size_t)n * 4 * sizeof(double));
    if (!back || !vbuf) {
        PyMem_Free(back);
        PyMem_Free(vbuf);
        PyErr_NoMemory();
        return -1;
    }
    V = (double (*)[4])vbuf;
    const double *em = self->emit + (size_t)(PyUnicode_READ(o->kind, o->data, start) - HAN_LO) * 4;
    for (int y = 0; y < 4; y++) V[0][y] = self->start[y] + em[y];
    for (Py_ssize_t t = 1; t < n; t++) {
        em = self->emit + (size_t)(PyUnicode_READ(o->kind, o->data, start + t) - HAN_LO) * 4;
        for (int y = 0; y < 4; y++) {
            double best = 0;
            int arg = -1;
            for (int k = 0; k < 2; k++) {
                int y0 = prev[y][k];
                double p = V[t - 1][y0] + self->trans[y0][y] + em[y];
                /* max over (p, y0) tuples: the larger p, and on a tie the larger state letter */
                if (arg < 0 || p > best || (p == best && y0 > arg)) {
                    best = p;
                    arg = y0;
                }
            }
            V[t][y] = best;
            back[t * 4 + y] = (unsigned char)arg;
        }
    }
    int state = (V[n - 1][S] > V[n - 1][E] || V[n - 1][S] == V[n - 1][E]) ? S : E;
    /* the path, backwards, into back[t*4] slot 0 reused as the state of position t */
    unsigned char *path = PyMem_Malloc((size_t)n);
    if (!path) {
        PyMem_Free(back);
        PyMem_Free(vbuf);
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t t = n - 1; t >= 0; t--) {
        path[t] = (unsigned char)state;
        if (t > 0) state = back[t * 4 + state];
    }
    Py_ssize_t begin = 0, nexti = 0;
    int rc = 0;
    for (Py_ssize_t i = 0; i < n && rc == 0; i++) {
        int pos = path[i];
        if (pos == B)
            begin = i;
        else if (pos == E) {
            rc = emit_word(self, o, start + begin, start + i + 1, search);
            nexti = i + 1;
        } else if (pos == S) {
            rc = emit_word(self, o, start + i, start + i + 1, search);
            nexti = i + 1;
        }
    }
    if (rc == 0 && nexti < n) rc = emit_word(self, o, start + nexti, end, search);
    PyMem_Free(path);
    PyMem_Free(back);
    PyMem_Free(vbuf);
    return rc;
}

/* finalseg.cut on buf = text[start:end] */
static int finalseg_cut(Segmenter *self, Out *o, Py_ssize_t start, Py_ssize_t end, int search) {
    Py_ssize_t i = start;
    while (i < end) {
        Py_ssize_t j = i;
        if (is_han(PyUnicode_READ(o->kind, o->data, i))) {
            while (j < end && is_han(PyUnicode_READ(o->kind, o->data, j))) j++;
            if (hmm_cut(self, o, i, j, search) < 0) return -1;
            i = j;
            continue;
        }
        while (j < end && !is_han(PyUnicode_READ(o->kind, o->data, j))) j++;
        /* re_skip.split on the non-Han run: ([a-zA-Z0-9]+(?:\.\d+)?%?) and what lies between, empty pieces dropped */
        Py_ssize_t k = i, gap = i;
        while (k < j) {
            Py_UCS4 c = PyUnicode_READ(o->kind, o->data, k);
            if (!is_ascii_alnum(c)) {
                k++;
                continue;
            }
            Py_ssize_t m = k;
            while (m < j && is_ascii_alnum(PyUnicode_READ(o->kind, o->data, m))) m++;
            if (m + 1 < j && PyUnicode_READ(o->kind, o->data, m) == '.' &&
                Py_UNICODE_ISDECIMAL(PyUnicode_READ(o->kind, o->data, m + 1))) {
                m += 2;
                while (m < j && Py_UNICODE_ISDECIMAL(PyUnicode_READ(o->kind, o->data, m))) m++;
            }
            if (m < j && PyUnicode_READ(o->kind, o->data, m) == '%') m++;
            if (gap < k && emit_word(self, o, gap, k, search) < 0) return -1;
            if (emit_word(self, o, k, m, search) < 0) return -1;
            k = gap = m;
        }
        if (gap < j && emit_word(self, o, gap, j, search) < 0) return -1;
        i = j;
    }
    return 0;
}

static int flush_buf(Segmenter *self, Out *o, Py_ssize_t bstart, Py_ssize_t bend, int search) {
    Py_ssize_t n = bend - bstart;
    if (n == 1) return emit_word(self, o, bstart, bend, search);
    long long f;
    if (!probe(self, o->kind, o->data, bstart, n, hash_range(o->kind, o->data, bstart, n), &f) || !f)
        return finalseg_cut(self, o, bstart, bend, search);
    for (Py_ssize_t i = bstart; i < bend; i++)
        if (emit_word(self, o, i, i + 1, search) < 0) return -1;
    return 0;
}

/* __cut_DAG on a block */
static int cut_block(Segmenter *self, Out *o, Py_ssize_t start, Py_ssize_t end, int search, int hmm, double *rv,
                     Py_ssize_t *rx) {
    Py_ssize_t n = end - start;
    /* route[idx] over the block, computed backwards: rv[n] = 0 */
    rv[n] = 0;
    rx[n] = 0;
    for (Py_ssize_t idx = n - 1; idx >= 0; idx--) {
        double best = 0;
        Py_ssize_t arg = -1;
        uint64_t h = HASH_SEED;
        for (Py_ssize_t i = idx; i < n; i++) {
            h = step_hash(h, PyUnicode_READ(o->kind, o->data, start + i));
            long long f;
            if (!probe(self, o->kind, o->data, start + idx, i - idx + 1, h, &f)) break;
            if (f) {
                double p = log((double)f) - self->logtotal + rv[i + 1];
                if (arg < 0 || p > best || p == best) { /* ascending x: a tie goes to the larger x */
                    best = p;
                    arg = i;
                }
            }
        }
        if (arg < 0) { /* DAG [idx]: FREQ.get(char) or 1 is 1 here (absent or a prefix only) */
            best = log(1.0) - self->logtotal + rv[idx + 1];
            arg = idx;
        }
        rv[idx] = best;
        rx[idx] = arg;
    }
    Py_ssize_t x = 0, buf = -1;
    if (!hmm) { /* __cut_DAG_NO_HMM: runs of single [a-zA-Z0-9] words joined, every other word as routed */
        while (x < n) {
            Py_ssize_t y = rx[x] + 1;
            if (y - x == 1 && is_ascii_alnum(PyUnicode_READ(o->kind, o->data, start + x))) {
                if (buf < 0) buf = x;
            } else {
                if (buf >= 0) {
                    if (emit_word(self, o, start + buf, start + x, search) < 0) return -1;
                    buf = -1;
                }
                if (emit_word(self, o, start + x, start + y, search) < 0) return -1;
            }
            x = y;
        }
        if (buf >= 0 && emit_word(self, o, start + buf, start + n, search) < 0) return -1;
        return 0;
    }
    while (x < n) {
        Py_ssize_t y = rx[x] + 1;
        if (y - x == 1) {
            if (buf < 0) buf = x;
        } else {
            if (buf >= 0) {
                if (flush_buf(self, o, start + buf, start + x, search) < 0) return -1;
                buf = -1;
            }
            if (emit_word(self, o, start + x, start + y, search) < 0) return -1;
        }
        x = y;
    }
    if (buf >= 0 && flush_buf(self, o, start + buf, start + n, search) < 0) return -1;
    return 0;
}

static PyObject *Segmenter_cut(Segmenter *self, PyObject *args, PyObject *kwds) {
    PyObject *text;
    int search = 0, words_only = 1, hmm = 1;
    static char *kwlist[] = {"text", "search", "words_only", "hmm", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "U|ppp", kwlist, &text, &search, &words_only, &hmm)) return NULL;
    if (!self->table || !self->emit) {
        PyErr_SetString(PyExc_RuntimeError, "Segmenter not initialised");
        return NULL;
    }
    Out o = {PyList_New(0), text, PyUnicode_KIND(text), PyUnicode_DATA(text), words_only, self};
    if (!o.list) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    double rv_small[257];
    Py_ssize_t rx_small[257];
    double *rv = rv_small;
    Py_ssize_t *rx = rx_small;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_ssize_t j = i;
        if (in_block(PyUnicode_READ(o.kind, o.data, i))) {
            while (j < n && in_block(PyUnicode_READ(o.kind, o.data, j))) j++;
            if (j - i + 1 > 257 && rv == rv_small) {
                rv = PyMem_Malloc((size_t)(n + 1) * sizeof(double));
                rx = PyMem_Malloc((size_t)(n + 1) * sizeof(Py_ssize_t));
                if (!rv || !rx) {
                    PyErr_NoMemory();
                    goto fail;
                }
            }
            if (cut_block(self, &o, i, j, search, hmm, rv, rx) < 0) goto fail;
        } else {
            /* outside the blocks: "\r\n" or one whitespace character, else one character at a time */
            while (j < n && !in_block(PyUnicode_READ(o.kind, o.data, j))) j++;
            for (Py_ssize_t k = i; k < j;) {
                Py_ssize_t w = 1;
                if (k + 1 < j && PyUnicode_READ(o.kind, o.data, k) == '\r' && PyUnicode_READ(o.kind, o.data, k + 1) == '\n')
                    w = 2;
                if (emit(&o, k, k + w) < 0) goto fail;
                k += w;
            }
        }
        i = j;
    }
    if (rv != rv_small) {
        PyMem_Free(rv);
        PyMem_Free(rx);
    }
    return o.list;
fail:
    if (rv != rv_small) {
        PyMem_Free(rv);
        PyMem_Free(rx);
    }
    Py_DECREF(o.list);
    return NULL;
}

/* jieba's add_word(word, freq) after the fact: FREQ[word] = freq, its prefixes added with 0 when absent, and the
 * new total (jieba's own, passed in). */
static PyObject *Segmenter_add_word(Segmenter *self, PyObject *args) {
    PyObject *word, *total;
    long long freq;
    if (!PyArg_ParseTuple(args, "ULO", &word, &freq, &total)) return NULL;
    Py_ssize_t n = PyUnicode_GET_LENGTH(word);
    if (put(self, word, n, freq, 0) < 0) return NULL;
    for (Py_ssize_t k = 1; k < n; k++)
        if (put(self, word, k, 0, 1) < 0) return NULL;
    if (set_total(self, total) < 0) return NULL;
    Py_RETURN_NONE;
}

static PyObject *Segmenter_get(Segmenter *self, PyObject *word) {
    if (!PyUnicode_Check(word)) {
        PyErr_SetString(PyExc_TypeError, "word must be str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(word);
    int kind = PyUnicode_KIND(word);
    const void *data = PyUnicode_DATA(word);
    Entry *e = n ? find(self, kind, data, 0, n, hash_range(kind, data, 0, n)) : NULL;
    if (!e) Py_RETURN_NONE;
    return PyLong_FromLongLong(e->freq);
}

/* cut_for_search's grams from words already cut (store.tokens.search_tokens): for each word its dictionary 2-grams,
 * then 3-grams, then the word; tokens without a letter or digit left out. */
static PyObject *Segmenter_expand(Segmenter *self, PyObject *words) {
    PyObject *seq = PySequence_Fast(words, "words must be a sequence of str");
    if (!seq) return NULL;
    PyObject *list = PyList_New(0);
    if (!list) {
        Py_DECREF(seq);
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *w = PySequence_Fast_GET_ITEM(seq, i);
        if (!PyUnicode_Check(w)) {
            PyErr_SetString(PyExc_TypeError, "words must be str");
            goto fail;
        }
        Out o = {list, w, PyUnicode_KIND(w), PyUnicode_DATA(w), 1, self};
        if (emit_word(self, &o, 0, PyUnicode_GET_LENGTH(w), 1) < 0) goto fail;
    }
    Py_DECREF(seq);
    return list;
fail:
    Py_DECREF(seq);
    Py_DECREF(list);
    return NULL;
}

/* Does text[start:end] hold a letter or digit (what expand keeps)? */
static int has_alnum(int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    for (Py_ssize_t j = start; j < end; j++)
        if (Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, j))) return 1;
    return 0;
}

/* Is token (a str) equal to text[start:start+len]? */
static int same_span(PyObject *token, int kind, const void *data, Py_ssize_t start, Py_ssize_t len) {
    if (!PyUnicode_Check(token) || PyUnicode_GET_LENGTH(token) != len) return 0;
    int tk = PyUnicode_KIND(token);
    const void *td = PyUnicode_DATA(token);
    for (Py_ssize_t j = 0; j < len; j++)
        if (PyUnicode_READ(tk, td, j) != PyUnicode_READ(kind, data, start + j)) return 0;
    return 1;
}

/* words_from_tokens(tokens) (store/tokens.py): the accurate-mode words whose expand() gave these search tokens,
 * read from the end — the last token is a word, and the tokens before it are expand((word,))[:-1], compared
 * character by character where they would be made (no str made, the words are the tokens themselves); None when
 * the tokens cannot be that. */
static PyObject *Segmenter_words_from_tokens(Segmenter *self, PyObject *tokens) {
    if (!PyList_Check(tokens)) {
        PyErr_SetString(PyExc_TypeError, "tokens must be a list of str");
        return NULL;
    }
    PyObject *words = PyList_New(0);
    if (!words) return NULL;
    Py_ssize_t cap = 0, *spans = NULL; /* (start, length) of expand's tokens of one word */
    Py_ssize_t end = PyList_GET_SIZE(tokens);
    while (end) {
        PyObject *word = PyList_GET_ITEM(tokens, end - 1);
        if (!PyUnicode_Check(word)) {
            PyErr_SetString(PyExc_TypeError, "tokens must be a list of str");
            goto fail;
        }
        Py_ssize_t n = PyUnicode_GET_LENGTH(word), count = 0;
        if (n > 2) {
            int kind = PyUnicode_KIND(word);
            const void *data = PyUnicode_DATA(word);
            if (cap < 2 * n) {
                Py_ssize_t *grown = PyMem_Realloc(spans, sizeof(Py_ssize_t) * 4 * n);
                if (!grown) {
                    PyErr_NoMemory();
                    goto fail;
                }
                spans = grown, cap = 2 * n;
            }
            for (Py_ssize_t len = 2; len <= 3 && len < n; len++) {
                for (Py_ssize_t i = 0; i + len <= n; i++) {
                    long long f;
                    if (probe(self, kind, data, i, len, hash_range(kind, data, i, len), &f) && f &&
                        has_alnum(kind, data, i, i + len))
                        spans[2 * count] = i, spans[2 * count + 1] = len, count++;
                }
            }
            /* expand's last token is the word itself when it holds a letter or digit: what [:-1] leaves out */
            if (!has_alnum(kind, data, 0, n) && count) count--;
            Py_ssize_t start = end - 1 - count;
            if (start < 0) goto none;
            for (Py_ssize_t k = 0; k < count; k++)
                if (!same_span(PyList_GET_ITEM(tokens, start + k), kind, data, spans[2 * k], spans[2 * k + 1]))
                    goto none;
        }
        if (PyList_Append(words, word) < 0) goto fail;
        end -= 1 + count;
    }
    PyMem_Free(spans);
    if (PyList_Reverse(words) < 0) {
        Py_DECREF(words);
        return NULL;
    }
    return words;
none:
    PyMem_Free(spans);
    Py_DECREF(words);
    Py_RETURN_NONE;
fail:
    PyMem_Free(spans);
    Py_DECREF(words);
    return NULL;
}

/* ---- the dictionary as one file (store/tokens.py caches it: loading jieba's dictionary costs about a second of
 * CPU a process, this a few milliseconds). Header, then the HMM tables, the hash table and the character pool,
 * as they sit in memory: the file is only read back by the same build on the same machine (the cache key holds
 * DUMP_FORMAT, and the header the byte order and the entry size). ---- */

#define DUMP_MAGIC 0x424a5159u /* "YQJB" little-endian */
#define DUMP_FORMAT 1

typedef struct {
    uint32_t magic, format, entry_size, byte_order;
    uint64_t cap, used, pool_len;
    int64_t total;
} DumpHeader;

static size_t emit_span(void) { return (size_t)(HAN_HI - HAN_LO + 1) * 4; }

static PyObject *Segmenter_dump(Segmenter *self, PyObject *unused) {
    if (!self->table) {
        PyErr_SetString(PyExc_ValueError, "segmenter not initialised");
        return NULL;
    }
    DumpHeader h = {DUMP_MAGIC, DUMP_FORMAT, (uint32_t)sizeof(Entry), 0x01020304u, self->cap, self->used,
                    self->pool_len, self->total};
    size_t hmm = sizeof(self->start) + sizeof(self->trans) + emit_span() * sizeof(double);
    size_t size = sizeof h + hmm + self->cap * sizeof(Entry) + self->pool_len * sizeof(uint32_t);
    PyObject *out = PyBytes_FromStringAndSize(NULL, (Py_ssize_t)size);
    if (!out) return NULL;
    char *p = PyBytes_AS_STRING(out);
    memcpy(p, &h, sizeof h), p += sizeof h;
    memcpy(p, self->start, sizeof(self->start)), p += sizeof(self->start);
    memcpy(p, self->trans, sizeof(self->trans)), p += sizeof(self->trans);
    memcpy(p, self->emit, emit_span() * sizeof(double)), p += emit_span() * sizeof(double);
    memcpy(p, self->table, self->cap * sizeof(Entry)), p += self->cap * sizeof(Entry);
    if (self->pool_len) memcpy(p, self->pool, self->pool_len * sizeof(uint32_t));
    return out;
}

/* Segmenter.load(buffer): a segmenter from dump()'s bytes (any buffer: bytes, mmap), copied into memory of its own
 * so add_word works as on any other. Every entry is checked to lie within the pool and the table to have the room
 * lookups rely on: a damaged file is a ValueError, never a crash. */
static PyObject *Segmenter_load(PyObject *cls, PyObject *source) {
    Py_buffer view;
    if (PyObject_GetBuffer(source, &view, PyBUF_SIMPLE) < 0) return NULL;
    const char *p = view.buf, *end = (const char *)view.buf + view.len;
    DumpHeader h;
    size_t hmm = sizeof(((Segmenter *)0)->start) + sizeof(((Segmenter *)0)->trans) + emit_span() * sizeof(double);
    Segmenter *self = NULL;
    if ((size_t)view.len < sizeof h) goto bad;
    memcpy(&h, p, sizeof h), p += sizeof h;
    if (h.magic != DUMP_MAGIC || h.format != DUMP_FORMAT || h.entry_size != sizeof(Entry) || h.byte_order != 0x01020304u)
        goto bad;
    if (h.cap < 2 || (h.cap & (h.cap - 1)) || h.cap > ((uint64_t)1 << 40) || h.used * 10 > h.cap * 6 ||
        h.pool_len > ((uint64_t)1 << 40) || h.total <= 0)
        goto bad;
    if ((size_t)(end - p) != hmm + h.cap * sizeof(Entry) + h.pool_len * sizeof(uint32_t)) goto bad;
    self = (Segmenter *)((PyTypeObject *)cls)->tp_alloc((PyTypeObject *)cls, 0);
    if (!self) {
        PyBuffer_Release(&view);
        return NULL;
    }
    self->table = PyMem_Malloc(h.cap * sizeof(Entry));
    self->pool = PyMem_Malloc((h.pool_len ? h.pool_len : 1) * sizeof(uint32_t));
    self->emit = PyMem_Malloc(emit_span() * sizeof(double));
    if (!self->table || !self->pool || !self->emit) {
        PyErr_NoMemory();
        goto fail;
    }
    memcpy(self->start, p, sizeof(self->start)), p += sizeof(self->start);
    memcpy(self->trans, p, sizeof(self->trans)), p += sizeof(self->trans);
    memcpy(self->emit, p, emit_span() * sizeof(double)), p += emit_span() * sizeof(double);
    memcpy(self->table, p, h.cap * sizeof(Entry)), p += h.cap * sizeof(Entry);
    if (h.pool_len) memcpy(self->pool, p, h.pool_len * sizeof(uint32_t));
    self->cap = h.cap;
    self->used = h.used;
    self->pool_cap = h.pool_len ? h.pool_len : 1;
    self->pool_len = h.pool_len;
    if (front_alloc(self) < 0) goto fail;
    size_t used = 0;
    for (size_t i = 0; i < self->cap; i++) {
        Entry *e = &self->table[i];
        if (e->len == 0) continue;
        used++;
        if ((uint64_t)e->off + e->len > h.pool_len) goto bad;
        note_entry(self, self->pool[e->off], e->len, e->hash, e->freq);
    }
    if (used != h.used) goto bad;
    self->total = h.total;
    self->logtotal = log((double)h.total);
    PyBuffer_Release(&view);
    return (PyObject *)self;
bad:
    PyErr_SetString(PyExc_ValueError, "not a dictionary file of this build (damaged, or from another version)");
fail:
    PyBuffer_Release(&view);
    Py_XDECREF(self);
    return NULL;
}

static PyObject *Segmenter_size(Segmenter *self, void *closure) { return PyLong_FromSize_t(self->used); }
static PyObject *Segmenter_total(Segmenter *self, void *closure) { return PyLong_FromLongLong(self->total); }

static PyMethodDef Segmenter_methods[] = {
    {"cut", (PyCFunction)(void (*)(void))Segmenter_cut, METH_VARARGS | METH_KEYWORDS,
     "cut(text, search=False, words_only=True, hmm=True) -> list[str]: jieba's lcut (search: lcut_for_search; "
     "hmm=False: HMM=False)"},
    {"add_word", (PyCFunction)Segmenter_add_word, METH_VARARGS,
     "add_word(word, freq, total): as jieba's add_word did, with jieba's new total"},
    {"get", (PyCFunction)Segmenter_get, METH_O, "get(word) -> int | None: FREQ.get(word)"},
    {"dump", (PyCFunction)Segmenter_dump, METH_NOARGS,
     "dump() -> bytes: the dictionary, HMM tables and total as Segmenter.load reads them back"},
    {"load", (PyCFunction)Segmenter_load, METH_O | METH_CLASS,
     "load(buffer) -> Segmenter: a segmenter from dump()'s bytes; ValueError when they are not this build's"},
    {"expand", (PyCFunction)Segmenter_expand, METH_O,
     "expand(words) -> list[str]: search mode's tokens from accurate-mode words (words without a letter or digit dropped)"},
    {"words_from_tokens", (PyCFunction)Segmenter_words_from_tokens, METH_O,
     "words_from_tokens(tokens) -> list[str] | None: the accurate-mode words expand() turned into these tokens"},
    {NULL, NULL, 0, NULL},
};

static PyGetSetDef Segmenter_getset[] = {
    {"size", (getter)Segmenter_size, NULL, "entries (words and prefixes)", NULL},
    {"total", (getter)Segmenter_total, NULL, "the frequency total", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

static PyTypeObject SegmenterType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "store._jiebac.Segmenter",
    .tp_basicsize = sizeof(Segmenter),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Segmenter(freq, total, start_p, trans_p, emit_p): jieba's cut on a copy of its dictionary",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Segmenter_init,
    .tp_dealloc = (destructor)Segmenter_dealloc,
    .tp_methods = Segmenter_methods,
    .tp_getset = Segmenter_getset,
};

/* ---- the sentiment model's features and weights (analysis/sentiment_model.py) ----
 *
 * FeatureWeights holds the model's kind-prefixed features (c character n-gram, w word, b "word word" pair, n negated
 * word) and finds a text's features, counts them, looks them up and sums the contributions (w / sqrt(count)) with
 * math.fsum's correctly rounded sum: the same features, the same z, bit for bit, as sentiment_model.py's Python. No
 * feature string is made unless the model knows it. */

/* A feature or a shown text: up to three spans of str data read as one string. */
typedef struct {
    int kind;
    const void *data;
    Py_ssize_t start, len;
} Span;

typedef struct {
    Span part[3];
    int n;
    Py_UCS4 tag; /* what kind of key: a feature kind (c w b n), 'a' adjacent words joined, 's' shown text */
    Py_ssize_t len;
    uint64_t hash;
} Key;

static const Py_UCS4 SPACE_CHARS[1] = {' '};
static const Py_UCS4 NOT_CHARS[2] = {0x4E0D, 0x2026}; /* 不…, before a negated word in the explanation */

static Span span_of_str(PyObject *s) {
    return (Span){PyUnicode_KIND(s), PyUnicode_DATA(s), 0, PyUnicode_GET_LENGTH(s)};
}

static Span span_of_chars(const Py_UCS4 *chars, Py_ssize_t len) {
    return (Span){PyUnicode_4BYTE_KIND, chars, 0, len};
}

static void key_make(Key *k, Py_UCS4 tag, int n, const Span *parts) {
    uint64_t h = step_hash(HASH_SEED, tag);
    Py_ssize_t len = 0;
    for (int p = 0; p < n; p++) {
        const Span *s = &parts[p];
        k->part[p] = *s;
        for (Py_ssize_t j = 0; j < s->len; j++) h = step_hash(h, PyUnicode_READ(s->kind, s->data, s->start + j));
        len += s->len;
    }
    k->n = n;
    k->tag = tag;
    k->len = len;
    k->hash = h;
}

/* Writes the key's characters to out (k->len of them). */
static void key_chars(const Key *k, Py_UCS4 *out) {
    for (int p = 0; p < k->n; p++) {
        const Span *s = &k->part[p];
        for (Py_ssize_t j = 0; j < s->len; j++) *out++ = PyUnicode_READ(s->kind, s->data, s->start + j);
    }
}

/* Same characters (tags are compared by the caller). */
static int key_same(const Key *x, const Key *y) {
    if (x->len != y->len) return 0;
    int px = 0, py = 0;
    Py_ssize_t jx = 0, jy = 0;
    for (Py_ssize_t i = 0; i < x->len; i++) {
        while (jx == x->part[px].len) px++, jx = 0;
        while (jy == y->part[py].len) py++, jy = 0;
        const Span *a = &x->part[px], *b = &y->part[py];
        if (PyUnicode_READ(a->kind, a->data, a->start + jx) != PyUnicode_READ(b->kind, b->data, b->start + jy)) return 0;
        jx++, jy++;
    }
    return 1;
}

/* Python's str order: code point by code point, a prefix first. */
static int key_order(const Key *x, const Key *y) {
    int px = 0, py = 0;
    Py_ssize_t jx = 0, jy = 0, n = x->len < y->len ? x->len : y->len;
    for (Py_ssize_t i = 0; i < n; i++) {
        while (jx == x->part[px].len) px++, jx = 0;
        while (jy == y->part[py].len) py++, jy = 0;
        const Span *a = &x->part[px], *b = &y->part[py];
        Py_UCS4 ca = PyUnicode_READ(a->kind, a->data, a->start + jx), cb = PyUnicode_READ(b->kind, b->data, b->start + jy);
        if (ca != cb) return ca < cb ? -1 : 1;
        jx++, jy++;
    }
    return x->len < y->len ? -1 : (x->len > y->len ? 1 : 0);
}

static PyObject *key_str(const Key *k) {
    Py_UCS4 stack[64];
    Py_UCS4 *buf = k->len <= 64 ? stack : PyMem_Malloc((size_t)k->len * sizeof(Py_UCS4));
    if (!buf) return PyErr_NoMemory();
    key_chars(k, buf);
    PyObject *s = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, k->len);
    if (buf != stack) PyMem_Free(buf);
    return s;
}

/* Is the key's text somewhere in text? */
static int key_in_text(const Key *k, int kind, const void *data, Py_ssize_t n) {
    Py_UCS4 stack[64];
    Py_UCS4 *buf = k->len <= 64 ? stack : PyMem_Malloc((size_t)k->len * sizeof(Py_UCS4));
    if (!buf) return -1;
    key_chars(k, buf);
    int found = 0;
    for (Py_ssize_t i = 0; !found && i + k->len <= n; i++) {
        Py_ssize_t j = 0;
        while (j < k->len && PyUnicode_READ(kind, data, i + j) == buf[j]) j++;
        found = j == k->len;
    }
    if (buf != stack) PyMem_Free(buf);
    return found;
}

/* A set of keys for one call: open addressing over indexes into items. */
typedef struct {
    Key *items;
    Py_ssize_t used;
    int32_t *slots; /* -1: empty */
    size_t mask;
} KeySet;

static int keyset_init(KeySet *s, Py_ssize_t max) {
    size_t cap = 16;
    while (cap < (size_t)max * 2 + 2) cap *= 2;
    s->items = PyMem_Malloc(((size_t)max + 1) * sizeof(Key));
    s->slots = PyMem_Malloc(cap * sizeof(int32_t));
    s->used = 0;
    s->mask = cap - 1;
    if (!s->items || !s->slots) return -1;
    memset(s->slots, 0xff, cap * sizeof(int32_t));
    return 0;
}

static void keyset_free(KeySet *s) {
    PyMem_Free(s->items);
    PyMem_Free(s->slots);
}

/* The index of an equal key; -1 when there is none (then added when add is set, at index s->used - 1). */
static Py_ssize_t keyset_find(KeySet *s, const Key *k, int add) {
    size_t i = slot_of(k->hash, s->mask);
    for (;;) {
        int32_t at = s->slots[i];
        if (at < 0) break;
        const Key *o = &s->items[at];
        if (o->hash == k->hash && o->tag == k->tag && key_same(o, k)) return at;
        i = (i + 1) & s->mask;
    }
    if (add) {
        s->items[s->used] = *k;
        s->slots[i] = (int32_t)s->used++;
    }
    return -1;
}

typedef struct {
    uint64_t hash;
    uint32_t off, len;
    Py_UCS4 tag; /* 0: empty slot */
    double weight;
} FEntry;

#define MAX_SIZES 8
/* A Bloom filter of the model's features in front of the table: 2^21 bits (256 KiB) stay in a core's cache, where the
 * table (16 MiB) does not, and most of a text's features (about 150 of 215) are not in the model. */
#define BLOOM_BITS 21

static inline uint64_t bloom_mix(uint64_t h) { return h * 0x9E3779B97F4A7C15ULL; }

typedef struct {
    PyObject_HEAD
    FEntry *table;
    size_t cap;
    uint32_t *pool;
    uint64_t *bloom;
    PyObject *negators; /* a set or frozenset of str */
    Py_ssize_t span;
    Py_ssize_t sizes[MAX_SIZES];
    Py_ssize_t nsizes;
} FeatureWeights;

static int FeatureWeights_init(FeatureWeights *self, PyObject *args, PyObject *kwds) {
    PyObject *weights, *sizes, *negators;
    Py_ssize_t span;
    static char *kwlist[] = {"weights", "sizes", "negators", "span", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!OOn", kwlist, &PyDict_Type, &weights, &sizes, &negators, &span))
        return -1;
    if (self->table) {
        PyErr_SetString(PyExc_RuntimeError, "FeatureWeights is initialised once");
        return -1;
    }
    if (!PyAnySet_Check(negators)) {
        PyErr_SetString(PyExc_TypeError, "negators must be a set or frozenset of str");
        return -1;
    }
    PyObject *sz = PySequence_Fast(sizes, "sizes must be a sequence of int");
    if (!sz) return -1;
    if (PySequence_Fast_GET_SIZE(sz) > MAX_SIZES) {
        Py_DECREF(sz);
        PyErr_SetString(PyExc_ValueError, "too many n-gram sizes");
        return -1;
    }
    self->nsizes = 0;
    for (Py_ssize_t k = 0; k < PySequence_Fast_GET_SIZE(sz); k++) {
        Py_ssize_t g = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(sz, k));
        if (g == -1 && PyErr_Occurred()) {
            Py_DECREF(sz);
            return -1;
        }
        self->sizes[self->nsizes++] = g;
    }
    Py_DECREF(sz);
    size_t cap = 1024, chars = 0;
    while ((size_t)PyDict_GET_SIZE(weights) * 2 > cap) cap *= 2;
    Py_ssize_t pos = 0;
    PyObject *key, *value;
    while (PyDict_Next(weights, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || PyUnicode_GET_LENGTH(key) == 0) {
            PyErr_SetString(PyExc_TypeError, "weights must map kind-prefixed str features to float");
            return -1;
        }
        chars += PyUnicode_GET_LENGTH(key);
    }
    FEntry *table = PyMem_Calloc(cap, sizeof(FEntry));
    uint32_t *pool = PyMem_Malloc((chars + 1) * sizeof(uint32_t));
    uint64_t *bloom = PyMem_Calloc((size_t)1 << (BLOOM_BITS - 6), sizeof(uint64_t));
    if (!table || !pool || !bloom) {
        PyMem_Free(table);
        PyMem_Free(pool);
        PyMem_Free(bloom);
        PyErr_NoMemory();
        return -1;
    }
    size_t used = 0;
    pos = 0;
    while (PyDict_Next(weights, &pos, &key, &value)) {
        double w = PyFloat_AsDouble(value);
        if (!(w == -1.0 && PyErr_Occurred()) && !isfinite(w))
            PyErr_SetString(PyExc_ValueError, "weights must be finite (math.fsum treats inf and nan apart)");
        if (PyErr_Occurred()) {
            PyMem_Free(table);
            PyMem_Free(pool);
            PyMem_Free(bloom);
            return -1;
        }
        int kind = PyUnicode_KIND(key);
        const void *data = PyUnicode_DATA(key);
        Py_ssize_t n = PyUnicode_GET_LENGTH(key);
        Key k;
        Span body = {kind, data, 1, n - 1};
        key_make(&k, PyUnicode_READ(kind, data, 0), 1, &body);
        size_t i = slot_of(k.hash, cap - 1);
        while (table[i].tag) i = (i + 1) & (cap - 1); /* dict keys are distinct */
        for (Py_ssize_t j = 1; j < n; j++) pool[used + j - 1] = PyUnicode_READ(kind, data, j);
        table[i] = (FEntry){k.hash, (uint32_t)used, (uint32_t)(n - 1), k.tag, w};
        used += n - 1;
        uint64_t b = bloom_mix(k.hash);
        bloom[b >> (64 - BLOOM_BITS + 6) ] |= 1ULL << (b & 63);
        bloom[(b >> 6) & (((uint64_t)1 << (BLOOM_BITS - 6)) - 1)] |= 1ULL << ((b >> 26) & 63);
    }
    self->table = table;
    self->pool = pool;
    self->bloom = bloom;
    self->cap = cap;
    Py_INCREF(negators);
    self->negators = negators;
    self->span = span;
    return 0;
}

static void FeatureWeights_dealloc(FeatureWeights *self) {
    PyMem_Free(self->table);
    PyMem_Free(self->pool);
    PyMem_Free(self->bloom);
    Py_XDECREF(self->negators);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static inline int fw_bloom(const FeatureWeights *self, uint64_t hash) {
    uint64_t b = bloom_mix(hash);
    return (self->bloom[b >> (64 - BLOOM_BITS + 6)] & (1ULL << (b & 63))) &&
           (self->bloom[(b >> 6) & (((uint64_t)1 << (BLOOM_BITS - 6)) - 1)] & (1ULL << ((b >> 26) & 63)));
}

/* The model's entry for k (NULL: none), the table probed from k's slot; the caller asked the Bloom filter first. */
static const FEntry *fw_probe(const FeatureWeights *self, const Key *k) {
    size_t mask = self->cap - 1, i = slot_of(k->hash, mask);
    for (;; i = (i + 1) & mask) {
        const FEntry *e = &self->table[i];
        if (!e->tag) return NULL;
        if (e->hash != k->hash || e->tag != k->tag || (Py_ssize_t)e->len != k->len) continue;
        const uint32_t *c = self->pool + e->off;
        int p = 0;
        Py_ssize_t j = 0, q = 0;
        for (; q < k->len; q++, j++) {
            while (j == k->part[p].len) p++, j = 0;
            if (c[q] != PyUnicode_READ(k->part[p].kind, k->part[p].data, k->part[p].start + j)) break;
        }
        if (q == k->len) return e;
    }
}

/* math.fsum of xs (finite values): Shewchuk's exact partials, rounded once as CPython's math_fsum does; -1 with
 * OverflowError set where a partial overflows, as math.fsum raises. */
static int exact_sum(const double *xs, Py_ssize_t count, double *partials, double *out) {
    Py_ssize_t n = 0;
    double x, y, t, hi, yr, lo = 0.0;
    for (Py_ssize_t k = 0; k < count; k++) {
        x = xs[k];
        Py_ssize_t i = 0;
        for (Py_ssize_t j = 0; j < n; j++) {
            y = partials[j];
            if (fabs(x) < fabs(y)) {
                t = x;
                x = y;
                y = t;
            }
            hi = x + y;
            yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) partials[i++] = lo;
            x = hi;
        }
        n = i;
        if (x != 0.0) {
            if (!isfinite(x)) {
                PyErr_SetString(PyExc_OverflowError, "intermediate overflow in fsum");
                return -1;
            }
            partials[n++] = x;
        }
    }
    hi = 0.0;
    if (n > 0) {
        hi = partials[--n];
        /* sum from the top down, stopping where the sum becomes inexact */
        while (n > 0) {
            x = hi;
            y = partials[--n];
            hi = x + y;
            yr = hi - x;
            lo = y - yr;
            if (lo != 0.0) break;
        }
        /* half-even rounding across several partials */
        if (n > 0 && ((lo < 0.0 && partials[n - 1] < 0.0) || (lo > 0.0 && partials[n - 1] > 0.0))) {
            y = lo * 2.0;
            x = hi + y;
            yr = x - hi;
            if (y == yr) hi = x;
        }
    }
    *out = hi;
    return 0;
}

typedef struct {
    Py_ssize_t key; /* into the call's KeySet */
    double contribution;
} Hit;

/* One text's features: every distinct one in `features` (its items, in order: n-grams by size then position, words,
 * pairs, negated words), `total` of them, and those the model knows in `hits` with their contributions. */
typedef struct {
    PyObject *words; /* a tuple: a list could change under us if a str subclass's __eq__ ran Python code */
    Py_ssize_t nwords;
    KeySet features;
    Hit *hits;
    Py_ssize_t nhits, total;
    double sum; /* math.fsum of the contributions */
} Scored;

static void scored_free(Scored *s) {
    Py_XDECREF(s->words);
    keyset_free(&s->features);
    PyMem_Free(s->hits);
}

/* A feature of the text, counted once (looked up in the model afterwards, by fw_resolve). */
static void fw_add(FeatureWeights *self, Scored *s, Py_UCS4 tag, int n, const Span *parts) {
    Key k;
    key_make(&k, tag, n, parts);
    if (keyset_find(&s->features, &k, 1) >= 0) return;
    s->total++;
}

/* Every feature of the text looked up in the model, the known ones into s->hits in the features' order. In three
 * passes over the features: the Bloom filter, each survivor's table slot prefetched; each candidate entry's
 * characters prefetched; the probes. The table (16 MiB) and its characters lie beyond the caches: one feature after
 * another, each lookup waited for two trips to memory; issued together, the trips overlap. Same hits, same order. */
static int fw_resolve(FeatureWeights *self, Scored *s) {
    Py_ssize_t n = s->features.used, nc = 0;
    const Key *items = s->features.items;
    Py_ssize_t *cand = PyMem_Malloc(((size_t)n + 1) * sizeof(Py_ssize_t));
    if (!cand) {
        PyErr_NoMemory();
        return -1;
    }
    size_t mask = self->cap - 1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (!fw_bloom(self, items[i].hash)) continue;
        cand[nc++] = i;
        __builtin_prefetch(&self->table[slot_of(items[i].hash, mask)]);
    }
    for (Py_ssize_t j = 0; j < nc; j++) {
        const Key *k = &items[cand[j]];
        for (size_t i = slot_of(k->hash, mask);; i = (i + 1) & mask) {
            const FEntry *e = &self->table[i];
            if (!e->tag) break;
            if (e->hash == k->hash) {
                __builtin_prefetch(self->pool + e->off);
                break;
            }
        }
    }
    for (Py_ssize_t j = 0; j < nc; j++) {
        const FEntry *e = fw_probe(self, &items[cand[j]]);
        if (e) s->hits[s->nhits++] = (Hit){cand[j], e->weight};
    }
    PyMem_Free(cand);
    return 0;
}

static int fw_score(FeatureWeights *self, PyObject *text, PyObject *words, Scored *s) {
    memset(s, 0, sizeof(*s));
    s->words = PySequence_Tuple(words);
    if (!s->words) return -1;
    Py_ssize_t m = s->nwords = PyTuple_GET_SIZE(s->words);
    PyObject **items = &PyTuple_GET_ITEM(s->words, 0);
    for (Py_ssize_t i = 0; i < m; i++)
        if (!PyUnicode_Check(items[i])) {
            PyErr_SetString(PyExc_TypeError, "words must be a sequence of str");
            return -1;
        }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    /* room for every feature and, in strongest(), every adjacent pair of words joined */
    Py_ssize_t max = n * self->nsizes + 4 * m + 1;
    s->hits = PyMem_Malloc((size_t)max * sizeof(Hit));
    unsigned char *alnum = PyMem_Malloc((size_t)n + 1);
    if (keyset_init(&s->features, max) < 0 || !s->hits || !alnum) {
        PyMem_Free(alnum);
        PyErr_NoMemory();
        return -1;
    }
    /* character n-grams within runs of letters and digits (str.isalnum; what re.split(r"[\W_]+") leaves) */
    for (Py_ssize_t i = 0; i < n; i++) alnum[i] = (unsigned char)Py_UNICODE_ISALNUM(PyUnicode_READ(kind, data, i));
    for (Py_ssize_t k = 0; k < self->nsizes; k++) {
        Py_ssize_t g = self->sizes[k], run = 0;
        if (g <= 0) continue;
        for (Py_ssize_t i = 0; i < n; i++) {
            run = alnum[i] ? run + 1 : 0;
            if (run < g) continue;
            Span gram = {kind, data, i - g + 1, g};
            fw_add(self, s, 'c', 1, &gram);
        }
    }
    PyMem_Free(alnum);
    for (Py_ssize_t i = 0; i < m; i++) {
        Span w = span_of_str(items[i]);
        fw_add(self, s, 'w', 1, &w);
    }
    for (Py_ssize_t i = 1; i < m; i++) {
        if (PyUnicode_GET_LENGTH(items[i - 1]) == 0) continue;
        Span pair[3] = {span_of_str(items[i - 1]), span_of_chars(SPACE_CHARS, 1), span_of_str(items[i])};
        fw_add(self, s, 'b', 3, pair);
    }
    Py_ssize_t left = 0; /* words still negated after the last negator */
    for (Py_ssize_t i = 0; i < m; i++) {
        int negator = PySet_Contains(self->negators, items[i]);
        if (negator < 0) return -1;
        if (negator) {
            left = self->span;
        } else if (left) {
            Span w = span_of_str(items[i]);
            fw_add(self, s, 'n', 1, &w);
            left--;
        }
    }
    if (fw_resolve(self, s) < 0) return -1;
    if (s->total) {
        double norm = 1.0 / sqrt((double)s->total);
        for (Py_ssize_t i = 0; i < s->nhits; i++) s->hits[i].contribution *= norm;
    }
    double *xs = PyMem_Malloc(((size_t)s->nhits + 1) * 2 * sizeof(double));
    if (!xs) {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < s->nhits; i++) xs[i] = s->hits[i].contribution;
    int status = exact_sum(xs, s->nhits, xs + s->nhits + 1, &s->sum);
    PyMem_Free(xs);
    return status;
}

/* What the explanation shows for a feature: the characters or words themselves, a pair joined, 不…word. */
static Key shown_of(const Key *f) {
    Key k;
    Span parts[2];
    if (f->tag == 'b') {
        parts[0] = f->part[0];
        parts[1] = f->part[2];
        key_make(&k, 's', 2, parts);
    } else if (f->tag == 'n') {
        parts[0] = span_of_chars(NOT_CHARS, 2);
        parts[1] = f->part[0];
        key_make(&k, 's', 2, parts);
    } else {
        key_make(&k, 's', 1, f->part);
    }
    return k;
}

static PyObject *FeatureWeights_hits(FeatureWeights *self, PyObject *args) {
    PyObject *text, *words;
    if (!PyArg_ParseTuple(args, "UO", &text, &words)) return NULL;
    Scored s;
    PyObject *hits = NULL;
    if (fw_score(self, text, words, &s) < 0) goto done;
    hits = PyList_New(s.nhits);
    for (Py_ssize_t i = 0; hits && i < s.nhits; i++) {
        Key shown = shown_of(&s.features.items[s.hits[i].key]);
        PyObject *item = Py_BuildValue("(Nd)", key_str(&shown), s.hits[i].contribution);
        if (!item) Py_CLEAR(hits);
        else PyList_SET_ITEM(hits, i, item);
    }
done:
    scored_free(&s);
    return hits ? Py_BuildValue("(dnN)", s.sum, s.total, hits) : NULL;
}

typedef struct {
    Key shown;
    double sum;
} Shown;

static int strongest_first(const void *a, const void *b) {
    const Shown *x = a, *y = b;
    double ax = fabs(x->sum), ay = fabs(y->sum);
    if (ax != ay) return ax > ay ? -1 : 1;
    return key_order(&x->shown, &y->shown);
}

/* Does the shown text start with 不… (as a negated word's does)? */
static int key_starts_not(const Key *k) {
    if (k->len < 2) return 0;
    Py_UCS4 head[2];
    int p = 0;
    Py_ssize_t j = 0;
    for (int q = 0; q < 2; q++, j++) {
        while (j == k->part[p].len) p++, j = 0;
        head[q] = PyUnicode_READ(k->part[p].kind, k->part[p].data, k->part[p].start + j);
    }
    return head[0] == NOT_CHARS[0] && head[1] == NOT_CHARS[1];
}

static PyObject *FeatureWeights_strongest(FeatureWeights *self, PyObject *args) {
    PyObject *text, *words, *out = NULL;
    Py_ssize_t limit;
    if (!PyArg_ParseTuple(args, "UOn", &text, &words, &limit)) return NULL;
    Scored s;
    KeySet seen = {0};
    Shown *shown = NULL;
    if (fw_score(self, text, words, &s) < 0) goto done;
    shown = PyMem_Malloc(((size_t)s.nhits + 1) * sizeof(Shown));
    if (!shown || keyset_init(&seen, s.nhits + 1) < 0) {
        PyErr_NoMemory();
        goto done;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), nshown = 0;
    PyObject **items = &PyTuple_GET_ITEM(s.words, 0);
    int adjacent_ready = 0;
    for (Py_ssize_t i = 0; i < s.nhits; i++) {
        const Key *f = &s.features.items[s.hits[i].key];
        Key k = shown_of(f);
        if (f->tag == 'c' || f->tag == 'b') {
            /* n-grams and pairs are shown only where they are a word of the text, or two adjacent words written
             * together in it (not across punctuation) */
            Key probe;
            key_make(&probe, 'w', k.n, k.part);
            int ok = keyset_find(&s.features, &probe, 0) >= 0 || key_starts_not(&k);
            if (!ok) {
                if (!adjacent_ready) {
                    for (Py_ssize_t w = 1; w < s.nwords; w++) {
                        Span pair[2] = {span_of_str(items[w - 1]), span_of_str(items[w])};
                        Key a;
                        key_make(&a, 'a', 2, pair);
                        keyset_find(&s.features, &a, 1);
                    }
                    adjacent_ready = 1;
                }
                Key a;
                key_make(&a, 'a', k.n, k.part);
                if (keyset_find(&s.features, &a, 0) < 0) continue;
                int in = key_in_text(&k, kind, data, n);
                if (in < 0) {
                    PyErr_NoMemory();
                    goto done;
                }
                if (!in) continue;
            }
        }
        Py_ssize_t at = keyset_find(&seen, &k, 1);
        if (at < 0) {
            at = seen.used - 1;
            shown[at] = (Shown){k, 0.0};
            nshown++;
        }
        shown[at].sum += s.hits[i].contribution;
    }
    qsort(shown, (size_t)nshown, sizeof(Shown), strongest_first);
    if (limit > nshown) limit = nshown;
    if (limit < 0) limit = 0;
    PyObject *top = PyList_New(limit);
    for (Py_ssize_t i = 0; top && i < limit; i++) {
        PyObject *item = Py_BuildValue("(Nd)", key_str(&shown[i].shown), shown[i].sum);
        if (!item) Py_CLEAR(top);
        else PyList_SET_ITEM(top, i, item);
    }
    if (top) out = Py_BuildValue("(dnN)", s.sum, s.nhits, top);
done:
    keyset_free(&seen);
    PyMem_Free(shown);
    scored_free(&s);
    return out;
}

static PyMethodDef FeatureWeights_methods[] = {
    {"hits", (PyCFunction)FeatureWeights_hits, METH_VARARGS,
     "hits(folded_text, words) -> (fsum of contributions, feature count, [(shown, contribution)]) every known feature"},
    {"strongest", (PyCFunction)FeatureWeights_strongest, METH_VARARGS,
     "strongest(folded_text, words, limit) -> (fsum of contributions, known features, [(shown, summed contribution)])"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FeatureWeightsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "store._jiebac.FeatureWeights",
    .tp_basicsize = sizeof(FeatureWeights),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "FeatureWeights(weights, sizes, negators, span): the sentiment model's features of a text, weighed",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)FeatureWeights_init,
    .tp_dealloc = (destructor)FeatureWeights_dealloc,
    .tp_methods = FeatureWeights_methods,
};

/* ---- folding (store.tokens.normalise) ---- */

typedef struct {
    PyObject_HEAD
    PyObject *table; /* code point -> one-character str, filled on first sight (store.tokens._FoldTable) */
    Py_UCS4 *bmp;    /* cache for U+0000..U+FFFF; 0xFFFFFFFF: not looked up yet */
} Folder;

static int Folder_init(Folder *self, PyObject *args, PyObject *kwds) {
    PyObject *table;
    static char *kwlist[] = {"table", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O", kwlist, &table)) return -1;
    if (self->bmp) return 0;
    self->bmp = PyMem_Malloc(0x10000 * sizeof(Py_UCS4));
    if (!self->bmp) {
        PyErr_NoMemory();
        return -1;
    }
    for (size_t i = 0; i < 0x10000; i++) self->bmp[i] = 0xFFFFFFFFu;
    Py_INCREF(table);
    self->table = table;
    return 0;
}

static void Folder_dealloc(Folder *self) {
    Py_XDECREF(self->table);
    PyMem_Free(self->bmp);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* table[c] as one code point; (Py_UCS4)-1 with an error set, or -2 when the table gives something else */
static Py_UCS4 fold_lookup(Folder *self, Py_UCS4 c) {
    if (c < 0x10000 && self->bmp[c] != 0xFFFFFFFFu) return self->bmp[c];
    PyObject *key = PyLong_FromUnsignedLong(c);
    if (!key) return (Py_UCS4)-1;
    PyObject *v = PyObject_GetItem(self->table, key);
    Py_DECREF(key);
    if (!v) return (Py_UCS4)-1;
    Py_UCS4 r;
    if (PyUnicode_Check(v) && PyUnicode_GET_LENGTH(v) == 1)
        r = PyUnicode_READ_CHAR(v, 0);
    else
        r = (Py_UCS4)-2;
    Py_DECREF(v);
    if (r != (Py_UCS4)-2 && c < 0x10000) self->bmp[c] = r;
    return r;
}

/* fold(text) -> text.translate(table), for a table that maps every character to one character */
static PyObject *Folder_fold(Folder *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_SetString(PyExc_TypeError, "text must be str");
        return NULL;
    }
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_UCS4 small[512];
    Py_UCS4 *buf = n <= 512 ? small : PyMem_Malloc((size_t)n * sizeof(Py_UCS4));
    if (!buf) return PyErr_NoMemory();
    int changed = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        Py_UCS4 r = fold_lookup(self, c);
        if (r == (Py_UCS4)-1 && PyErr_Occurred()) {
            if (buf != small) PyMem_Free(buf);
            return NULL;
        }
        if (r == (Py_UCS4)-2) { /* not one character: str.translate does it */
            if (buf != small) PyMem_Free(buf);
            return PyObject_CallMethod(text, "translate", "O", self->table);
        }
        changed |= r != c;
        buf[i] = r;
    }
    PyObject *out;
    if (!changed) {
        Py_INCREF(text);
        out = text;
    } else {
        out = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, buf, n);
    }
    if (buf != small) PyMem_Free(buf);
    return out;
}

static PyMethodDef Folder_methods[] = {
    {"fold", (PyCFunction)Folder_fold, METH_O, "fold(text) -> text.translate(table), each character cached"},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject FolderType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "store._jiebac.Folder",
    .tp_basicsize = sizeof(Folder),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Folder(table): str.translate with a one-character-per-character table, cached in C",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Folder_init,
    .tp_dealloc = (destructor)Folder_dealloc,
    .tp_methods = Folder_methods,
};


/* MinHash over character shingles (analysis/events/minhash.py): the letters and digits of a normalised text
 * (Unicode categories L and N: str.isalpha or str.isnumeric, checked over every code point by the tests),
 * every `shingle`-character window's zlib CRC-32 of its UTF-8, and per hash function (a*x + b) mod p at its
 * minimum, cast to uint32 as numpy's astype does. Repeated shingles do not change a minimum, so no set. */

#define MINHASH_PRIME 4294967311ULL /* analysis/events/minhash.py's _PRIME */

static uint32_t crc_table[256];
static int crc_ready = 0;

static void crc_init(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[n] = c;
    }
    crc_ready = 1;
}

static inline uint32_t crc_byte(uint32_t c, unsigned char b) { return crc_table[(c ^ b) & 0xFF] ^ (c >> 8); }

static uint32_t crc_utf8(const Py_UCS4 *chars, Py_ssize_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 u = chars[i];
        if (u < 0x80) {
            c = crc_byte(c, (unsigned char)u);
        } else if (u < 0x800) {
            c = crc_byte(c, (unsigned char)(0xC0 | (u >> 6)));
            c = crc_byte(c, (unsigned char)(0x80 | (u & 0x3F)));
        } else if (u < 0x10000) {
            c = crc_byte(c, (unsigned char)(0xE0 | (u >> 12)));
            c = crc_byte(c, (unsigned char)(0x80 | ((u >> 6) & 0x3F)));
            c = crc_byte(c, (unsigned char)(0x80 | (u & 0x3F)));
        } else {
            c = crc_byte(c, (unsigned char)(0xF0 | (u >> 18)));
            c = crc_byte(c, (unsigned char)(0x80 | ((u >> 12) & 0x3F)));
            c = crc_byte(c, (unsigned char)(0x80 | ((u >> 6) & 0x3F)));
            c = crc_byte(c, (unsigned char)(0x80 | (u & 0x3F)));
        }
    }
    return c ^ 0xFFFFFFFFu;
}

#ifdef MINHASH_AVX2
/* The constant prime's minima four hash functions at a time (a build for any x86-64 runs it where the processor has
 * AVX2). p = 2^32 + 15, so 2^32 = -15 (mod p): y = hi*2^32 + lo = lo - 15*hi, twice, then one conditional
 * subtraction gives y mod p exactly, with no division. Needs a, b < 2^32 (mul_epu32 multiplies 32-bit halves)
 * and hashes a multiple of 4; values stay below 2^35, so signed 64-bit comparisons order them. */
__attribute__((target("avx2"))) static void minhash_avx2(const uint32_t *xs, Py_ssize_t count, const uint64_t *av,
                                                         const uint64_t *bv, Py_ssize_t hashes, uint64_t *best) {
    const __m256i low = _mm256_set1_epi64x(0xFFFFFFFFLL);
    const __m256i prime = _mm256_set1_epi64x((long long)MINHASH_PRIME);
    const __m256i below_prime = _mm256_set1_epi64x((long long)MINHASH_PRIME - 1);
    const __m256i fifteen_primes = _mm256_set1_epi64x(15 * (long long)MINHASH_PRIME);
    for (Py_ssize_t h = 0; h < hashes; h += 4) {
        __m256i a = _mm256_loadu_si256((const __m256i *)(av + h));
        __m256i b = _mm256_loadu_si256((const __m256i *)(bv + h));
        __m256i least = _mm256_set1_epi64x(INT64_MAX);
        for (Py_ssize_t i = 0; i < count; i++) {
            __m256i y = _mm256_add_epi64(_mm256_mul_epu32(a, _mm256_set1_epi64x(xs[i])), b);
            __m256i hi = _mm256_srli_epi64(y, 32);
            /* lo + 15p - 15*hi: positive, below 16*2^32 + 225, = y (mod p) */
            __m256i r = _mm256_sub_epi64(_mm256_add_epi64(_mm256_and_si256(y, low), fifteen_primes),
                                         _mm256_sub_epi64(_mm256_slli_epi64(hi, 4), hi));
            hi = _mm256_srli_epi64(r, 32); /* at most 16 */
            /* lo + p - 15*hi: in [p - 240, p + 2^32), = y (mod p) */
            r = _mm256_sub_epi64(_mm256_add_epi64(_mm256_and_si256(r, low), prime),
                                 _mm256_sub_epi64(_mm256_slli_epi64(hi, 4), hi));
            r = _mm256_sub_epi64(r, _mm256_and_si256(_mm256_cmpgt_epi64(r, below_prime), prime));
            least = _mm256_blendv_epi8(least, r, _mm256_cmpgt_epi64(least, r));
        }
        _mm256_storeu_si256((__m256i *)(best + h), least);
    }
}

static int minhash_avx2_fits(const uint64_t *av, const uint64_t *bv, Py_ssize_t hashes) {
    static int has_avx2 = -1;
    if (has_avx2 < 0) has_avx2 = __builtin_cpu_supports("avx2") ? 1 : 0;
    if (!has_avx2 || hashes % 4 != 0) return 0;
    for (Py_ssize_t h = 0; h < hashes; h++)
        if (av[h] > 0xFFFFFFFFULL || bv[h] > 0xFFFFFFFFULL) return 0;
    return 1;
}
#endif

static PyObject *jiebac_minhash(PyObject *module, PyObject *args) {
    PyObject *text;
    Py_ssize_t shingle, min_chars;
    Py_buffer a, b;
    unsigned long long prime;
    if (!PyArg_ParseTuple(args, "UnnKy*y*", &text, &shingle, &min_chars, &prime, &a, &b)) return NULL;
    PyObject *result = NULL;
    Py_UCS4 *letters = NULL;
    uint64_t *best = NULL;
    Py_ssize_t hashes = a.len / 8;
    if (a.len != b.len || a.len % 8 != 0 || shingle < 1 || prime == 0) {
        PyErr_SetString(PyExc_ValueError, "minhash: a and b must be uint64 arrays of one length");
        goto done;
    }
    if (!crc_ready) crc_init();
    Py_ssize_t len = PyUnicode_GET_LENGTH(text);
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    letters = PyMem_Malloc(sizeof(Py_UCS4) * (len ? len : 1));
    if (!letters) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t n = 0;
    for (Py_ssize_t i = 0; i < len; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISALPHA(c) || Py_UNICODE_ISNUMERIC(c)) letters[n++] = c;
    }
    if (n < min_chars || n < shingle) {
        result = Py_NewRef(Py_None);
        goto done;
    }
    const uint64_t *av = a.buf, *bv = b.buf;
    best = PyMem_Malloc(sizeof(uint64_t) * (hashes ? hashes : 1));
    if (!best) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t h = 0; h < hashes; h++) best[h] = UINT64_MAX;
#ifdef MINHASH_AVX2
    if (prime == MINHASH_PRIME && minhash_avx2_fits(av, bv, hashes)) {
        /* each shingle's CRC once, then the hash functions four at a time over all of them */
        Py_ssize_t count = n - shingle + 1;
        uint32_t *xs = PyMem_Malloc(sizeof(uint32_t) * count);
        if (!xs) {
            PyErr_NoMemory();
            goto done;
        }
        for (Py_ssize_t i = 0; i < count; i++) xs[i] = crc_utf8(letters + i, shingle);
        minhash_avx2(xs, count, av, bv, hashes, best);
        PyMem_Free(xs);
    } else
#endif
    if (prime == MINHASH_PRIME) { /* the constant: the compiler divides by multiplying, ~10x faster */
        for (Py_ssize_t i = 0; i + shingle <= n; i++) {
            uint64_t x = crc_utf8(letters + i, shingle);
            for (Py_ssize_t h = 0; h < hashes; h++) {
                uint64_t v = (av[h] * x + bv[h]) % MINHASH_PRIME;
                if (v < best[h]) best[h] = v;
            }
        }
    } else {
        for (Py_ssize_t i = 0; i + shingle <= n; i++) {
            uint64_t x = crc_utf8(letters + i, shingle);
            for (Py_ssize_t h = 0; h < hashes; h++) {
                uint64_t v = (av[h] * x + bv[h]) % prime;
                if (v < best[h]) best[h] = v;
            }
        }
    }
    result = PyBytes_FromStringAndSize(NULL, hashes * 4);
    if (result) {
        uint32_t *out = (uint32_t *)PyBytes_AS_STRING(result);
        for (Py_ssize_t h = 0; h < hashes; h++) out[h] = (uint32_t)best[h];
    }
done:
    PyMem_Free(letters);
    PyMem_Free(best);
    PyBuffer_Release(&a);
    PyBuffer_Release(&b);
    return result;
}

static PyMethodDef module_methods[] = {
    {"minhash", jiebac_minhash, METH_VARARGS,
     "minhash(text, shingle, min_chars, prime, a, b) -> bytes (uint32 per hash, native order) | None"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "store._jiebac", "jieba's cut, compiled", -1, module_methods};

PyMODINIT_FUNC PyInit__jiebac(void) {
    if (PyType_Ready(&SegmenterType) < 0 || PyType_Ready(&FeatureWeightsType) < 0 ||
        PyType_Ready(&FolderType) < 0)
        return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&SegmenterType);
    if (PyModule_AddObject(m, "Segmenter", (PyObject *)&SegmenterType) < 0) {
        Py_DECREF(&SegmenterType);
        Py_DECREF(m);
        return NULL;
    }
    if (PyModule_AddIntConstant(m, "DUMP_FORMAT", DUMP_FORMAT) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&FeatureWeightsType);
    if (PyModule_AddObject(m, "FeatureWeights", (PyObject *)&FeatureWeightsType) < 0) {
        Py_DECREF(&FeatureWeightsType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&FolderType);
    if (PyModule_AddObject(m, "Folder", (PyObject *)&FolderType) < 0) {
        Py_DECREF(&FolderType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
