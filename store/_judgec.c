/* The judgement's per-word inner loops (analysis/grader.py, analysis/post_type.py), compiled.
 *
 * Each sum is taken in the order the Python path takes it, in the same precision, so the results are the same
 * bits: double sums of the grader's per-word projections and of the post type's feature rows; for the post type's
 * pooled word vectors (float32, as numpy computes them) the gather and the combinations and norms numpy does, with
 * numpy's own pairwise summation. The two matrix products over the words (weights @ rows, vector @ dense) stay in
 * numpy: BLAS's summation order depends on the CPU's kernel, and only numpy itself gives numpy's bits.
 *
 * Rows(table, width): a float64 table, `width` numbers a row, read through word -> row dicts given per call.
 * Pools(padded, stopped, dim): the word-vector table (float32, a zero row last) and which rows are stopwords.
 * Build flags: -ffp-contract=off, so no fused multiply-add changes a sum. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* The row of `word` in `index` (a dict of str -> int): 1 found, 0 absent, -1 error. */
static int row_of(PyObject *index, PyObject *word, Py_ssize_t count, Py_ssize_t *row) {
    PyObject *v = PyDict_GetItemWithError(index, word);
    if (v == NULL) return PyErr_Occurred() ? -1 : 0;
    Py_ssize_t r = PyLong_AsSsize_t(v);
    if (r == -1 && PyErr_Occurred()) return -1;
    if (r < 0 || r >= count) {
        PyErr_SetString(PyExc_IndexError, "word row out of the table");
        return -1;
    }
    *row = r;
    return 1;
}

static PyObject *tuple_of(const double *xs, Py_ssize_t n) {
    PyObject *out = PyTuple_New(n);
    if (!out) return NULL;
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *x = PyFloat_FromDouble(xs[i]);
        if (!x) {
            Py_DECREF(out);
            return NULL;
        }
        PyTuple_SET_ITEM(out, i, x);
    }
    return out;
}

/* ------------------------------------------------------------------------------------------------------------ */

#define MAX_WIDTH 64

typedef struct {
    PyObject_HEAD
    Py_buffer view;
    int held;
    const double *data;
    Py_ssize_t count, width;
} Rows;

static int Rows_init(Rows *self, PyObject *args, PyObject *kwds) {
    Py_buffer view;
    Py_ssize_t width;
    if (self->held) {
        PyErr_SetString(PyExc_RuntimeError, "Rows is initialised once");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "y*n", &view, &width)) return -1;
    if (width < 1 || width > MAX_WIDTH || view.len % (Py_ssize_t)(width * sizeof(double))) {
        PyBuffer_Release(&view);
        PyErr_SetString(PyExc_ValueError, "Rows: the table must hold whole rows of 1-64 doubles");
        return -1;
    }
    self->view = view;
    self->held = 1;
    self->data = (const double *)view.buf;
    self->width = width;
    self->count = view.len / (Py_ssize_t)(width * sizeof(double));
    return 0;
}

static void Rows_dealloc(Rows *self) {
    if (self->held) PyBuffer_Release(&self->view);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* mean(index, words): the average row of the known words (each occurrence counts), zeros when none is known —
 * analysis.grader._mean, the same additions in the same order. */
static PyObject *Rows_mean(Rows *self, PyObject *args) {
    PyObject *index, *words;
    if (!PyArg_ParseTuple(args, "O!O", &PyDict_Type, &index, &words)) return NULL;
    PyObject *seq = PySequence_Fast(words, "words must be a sequence");
    if (!seq) return NULL;
    double acc[MAX_WIDTH] = {0};
    Py_ssize_t known = 0, n = PySequence_Fast_GET_SIZE(seq), w = self->width;
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t r;
        int found = row_of(index, items[i], self->count, &r);
        if (found < 0) {
            Py_DECREF(seq);
            return NULL;
        }
        if (found) {
            const double *row = self->data + r * w;
            for (Py_ssize_t c = 0; c < w; c++) acc[c] += row[c];
            known++;
        }
    }
    Py_DECREF(seq);
    if (known)
        for (Py_ssize_t c = 0; c < w; c++) acc[c] /= (double)known;
    return tuple_of(acc, w);
}

/* set(words), or `words` itself when it is a set already (the caller's set(words): the same set, built the same
 * way, iterated in the same order; a new reference). */
static PyObject *distinct(PyObject *words) {
    if (PyAnySet_CheckExact(words)) {
        Py_INCREF(words);
        return words;
    }
    return PySet_New(words);
}

/* Adds to `total` the sum of the rows of set(words) known to `index`, divided by the square root of the set's
 * size (numpy's rows.sum(axis=0) / math.sqrt(len(part)): rows added one after another, in the set's order). */
static int add_unique(Rows *self, PyObject *index, PyObject *words, double *total) {
    PyObject *part = distinct(words);
    if (!part) return -1;
    double acc[MAX_WIDTH] = {0};
    Py_ssize_t known = 0, w = self->width, size = PySet_GET_SIZE(part);
    PyObject *it = PyObject_GetIter(part), *word;
    if (!it) {
        Py_DECREF(part);
        return -1;
    }
    while ((word = PyIter_Next(it)) != NULL) {
        Py_ssize_t r;
        int found = row_of(index, word, self->count, &r);
        Py_DECREF(word);
        if (found < 0) break;
        if (found) {
            const double *row = self->data + r * w;
            for (Py_ssize_t c = 0; c < w; c++) acc[c] += row[c];
            known++;
        }
    }
    Py_DECREF(it);
    Py_DECREF(part);
    if (PyErr_Occurred()) return -1;
    if (known) {
        double root = sqrt((double)size);
        for (Py_ssize_t c = 0; c < w; c++) total[c] += acc[c] / root;
    }
    return 0;
}

/* scores(bias, index, found, dense, word_index, words, heading_index, heading_words) -> list of floats: the post
 * type's class scores, as PostTypeModel.post_scores adds them up: bias + Σ value × row over the named features
 * (`found`, in its order), + the pooled vectors' scores (`dense`: float32 numbers a class, or None), + the rows of
 * the post's distinct words / √their number, + the heading's likewise. `words` and `heading_words` may be given
 * as their sets (set(words) as the caller built it). */
static PyObject *Rows_scores(Rows *self, PyObject *args) {
    PyObject *bias, *index, *found, *dense, *word_index, *words, *heading_index, *heading_words;
    if (!PyArg_ParseTuple(args, "OO!O!OO!OO!O", &bias, &PyDict_Type, &index, &PyDict_Type, &found, &dense,
                          &PyDict_Type, &word_index, &words, &PyDict_Type, &heading_index, &heading_words))
        return NULL;
    Py_ssize_t w = self->width;
    PyObject *bseq = PySequence_Fast(bias, "bias must be a sequence");
    if (!bseq) return NULL;
    if (PySequence_Fast_GET_SIZE(bseq) != w) {
        Py_DECREF(bseq);
        PyErr_SetString(PyExc_ValueError, "one bias a class");
        return NULL;
    }
    double total[MAX_WIDTH], dot[MAX_WIDTH] = {0};
    for (Py_ssize_t c = 0; c < w; c++) {
        total[c] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(bseq, c));
        if (total[c] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(bseq);
            return NULL;
        }
    }
    Py_DECREF(bseq);
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(found, &pos, &key, &value)) {
        Py_ssize_t r;
        int hit = row_of(index, key, self->count, &r);
        if (hit < 0) return NULL;
        if (!hit) continue;
        double v = PyFloat_AsDouble(value);
        if (v == -1.0 && PyErr_Occurred()) return NULL;
        const double *row = self->data + r * w;
        for (Py_ssize_t c = 0; c < w; c++) dot[c] += v * row[c];
    }
    for (Py_ssize_t c = 0; c < w; c++) total[c] = total[c] + dot[c];
    if (dense != Py_None) {
        Py_buffer view;
        if (PyObject_GetBuffer(dense, &view, PyBUF_SIMPLE) < 0) return NULL;
        if (view.len != (Py_ssize_t)(w * sizeof(float))) {
            PyBuffer_Release(&view);
            PyErr_SetString(PyExc_ValueError, "dense scores: one float32 a class");
            return NULL;
        }
        const float *d = (const float *)view.buf;
        for (Py_ssize_t c = 0; c < w; c++) total[c] = total[c] + (double)d[c];
        PyBuffer_Release(&view);
    }
    if (add_unique(self, word_index, words, total) < 0 || add_unique(self, heading_index, heading_words, total) < 0)
        return NULL;
    PyObject *out = PyList_New(w);
    if (!out) return NULL;
    for (Py_ssize_t c = 0; c < w; c++) {
        PyObject *x = PyFloat_FromDouble(total[c]);
        if (!x) {
            Py_DECREF(out);
            return NULL;
        }
        PyList_SET_ITEM(out, c, x);
    }
    return out;
}

/* scored(index, words, scale, column, evidence, skip) -> (sums, known): over the distinct words (set(words), in
 * its order) known to `index`, Σ row × scale (a tuple of `width`) and how many there are; and each such word of
 * more than one character not in `skip` adds row[column] × scale to evidence[word] — the grader's word features
 * of one kind (analysis.grader._scored, each multiplied by the kind's scale) and their share of the evidence.
 * `words` may be given as set(words), built by the caller. */
static PyObject *Rows_scored(Rows *self, PyObject *args) {
    PyObject *index, *words, *evidence, *skip;
    double scale;
    Py_ssize_t column;
    if (!PyArg_ParseTuple(args, "O!OdnO!O", &PyDict_Type, &index, &words, &scale, &column, &PyDict_Type, &evidence,
                          &skip))
        return NULL;
    Py_ssize_t w = self->width, known = 0;
    if (column < 0 || column >= w) {
        PyErr_SetString(PyExc_ValueError, "scored: no such column");
        return NULL;
    }
    if (!PyAnySet_Check(skip)) {
        PyErr_SetString(PyExc_TypeError, "scored: skip must be a set or frozenset");
        return NULL;
    }
    PyObject *part = distinct(words);
    if (!part) return NULL;
    PyObject *it = PyObject_GetIter(part), *word;
    if (!it) goto fail;
    double acc[MAX_WIDTH] = {0};
    while ((word = PyIter_Next(it)) != NULL) {
        Py_ssize_t r;
        int found = row_of(index, word, self->count, &r);
        if (found <= 0) {
            Py_DECREF(word);
            if (found < 0) goto fail;
            continue;
        }
        const double *row = self->data + r * w;
        for (Py_ssize_t c = 0; c < w; c++) acc[c] += row[c] * scale;
        known++;
        int shown = PyUnicode_Check(word) && PyUnicode_GET_LENGTH(word) > 1;
        if (shown) {
            shown = PySet_Contains(skip, word);
            if (shown < 0) {
                Py_DECREF(word);
                goto fail;
            }
            shown = !shown;
        }
        if (shown) {
            /* evidence.get(word, 0.0) + contribution */
            PyObject *before = PyDict_GetItemWithError(evidence, word);
            double sum = row[column] * scale;
            if (before) {
                double b = PyFloat_AsDouble(before);
                if (b == -1.0 && PyErr_Occurred()) {
                    Py_DECREF(word);
                    goto fail;
                }
                sum = b + sum;
            } else if (PyErr_Occurred()) {
                Py_DECREF(word);
                goto fail;
            } else {
                sum = 0.0 + sum;
            }
            PyObject *value = PyFloat_FromDouble(sum);
            if (!value || PyDict_SetItem(evidence, word, value) < 0) {
                Py_XDECREF(value);
                Py_DECREF(word);
                goto fail;
            }
            Py_DECREF(value);
        }
        Py_DECREF(word);
    }
    if (PyErr_Occurred()) goto fail;
    Py_DECREF(it);
    Py_DECREF(part);
    PyObject *sums = tuple_of(acc, w);
    if (!sums) return NULL;
    return Py_BuildValue("(Nn)", sums, known);
fail:
    Py_XDECREF(it);
    Py_DECREF(part);
    return NULL;
}

static PyMethodDef Rows_methods[] = {
    {"mean", (PyCFunction)Rows_mean, METH_VARARGS, "mean(index, words) -> tuple: the known words' average row"},
    {"scored", (PyCFunction)Rows_scored, METH_VARARGS,
     "scored(index, words, scale, column, evidence, skip) -> (sums, known): the distinct known words' rows × scale"},
    {"scores", (PyCFunction)Rows_scores, METH_VARARGS,
     "scores(bias, index, found, dense, word_index, words, heading_index, heading_words) -> list: class scores"},
    {NULL, NULL, 0, NULL}};

static PyObject *Rows_count(Rows *self, void *closure) { return PyLong_FromSsize_t(self->count); }

static PyGetSetDef Rows_getset[] = {{"count", (getter)Rows_count, NULL, "rows in the table", NULL},
                                   {NULL, NULL, NULL, NULL, NULL}};

static PyTypeObject RowsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "store._judgec.Rows",
    .tp_basicsize = sizeof(Rows),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Rows(table, width): a float64 table of `width` numbers a row, read by word",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Rows_init,
    .tp_dealloc = (destructor)Rows_dealloc,
    .tp_methods = Rows_methods,
    .tp_getset = Rows_getset,
};

/* ------------------------------------------------------------------------------------------------------------ */

typedef struct {
    PyObject_HEAD
    Py_buffer vectors, stopped;
    int held;
    const float *data; /* (count + 1) × dim, the last row zeros */
    const unsigned char *stop;
    Py_ssize_t count, dim; /* count: the zero row's index */
} Pools;

static int Pools_init(Pools *self, PyObject *args, PyObject *kwds) {
    Py_buffer vectors, stopped;
    Py_ssize_t dim;
    if (self->held) {
        PyErr_SetString(PyExc_RuntimeError, "Pools is initialised once");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "y*y*n", &vectors, &stopped, &dim)) return -1;
    Py_ssize_t rows = dim > 0 ? vectors.len / (Py_ssize_t)(dim * sizeof(float)) : 0;
    if (dim < 1 || rows < 1 || vectors.len != rows * dim * (Py_ssize_t)sizeof(float) || stopped.len != rows) {
        PyBuffer_Release(&vectors);
        PyBuffer_Release(&stopped);
        PyErr_SetString(PyExc_ValueError, "Pools: float32 rows of `dim` with a zero row last, one stop flag a row");
        return -1;
    }
    self->vectors = vectors;
    self->stopped = stopped;
    self->held = 1;
    self->data = (const float *)vectors.buf;
    self->stop = (const unsigned char *)stopped.buf;
    self->dim = dim;
    self->count = rows - 1;
    return 0;
}

static void Pools_dealloc(Pools *self) {
    if (self->held) {
        PyBuffer_Release(&self->vectors);
        PyBuffer_Release(&self->stopped);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Sentences as analysis.post_type._SENTENCE finds them, [^。！？!?；;\n]+[。！？!?；;]*. */
static int is_end(Py_UCS4 c) {
    return c == 0x3002 || c == 0xFF01 || c == 0xFF1F || c == '!' || c == '?' || c == 0xFF1B || c == ';';
}

/* analysis.post_type._ASKING_END's closing marks, [。！？!?；;… \t] */
static int is_closing(Py_UCS4 c) { return is_end(c) || c == 0x2026 || c == ' ' || c == '\t'; }

/* analysis.post_type._ASKING_WORDS */
static const char *const ASKING_WORDS[] = {"请问", "能否", "是否", "怎么", "如何", "可否", "能不能",
                                          "有没有", "什么时候", "何时", "为什么", "为何"};
#define N_ASKING (sizeof(ASKING_WORDS) / sizeof(ASKING_WORDS[0]))
static Py_UCS4 asking_words[N_ASKING][8];
static Py_ssize_t asking_lengths[N_ASKING];

static int asking_words_ready(void) {
    for (size_t i = 0; i < N_ASKING; i++) {
        PyObject *s = PyUnicode_FromString(ASKING_WORDS[i]);
        if (!s) return -1;
        Py_ssize_t n = PyUnicode_GET_LENGTH(s);
        if (n > 8) {
            Py_DECREF(s);
            PyErr_SetString(PyExc_RuntimeError, "asking word too long");
            return -1;
        }
        for (Py_ssize_t k = 0; k < n; k++) asking_words[i][k] = PyUnicode_READ_CHAR(s, k);
        asking_lengths[i] = n;
        Py_DECREF(s);
    }
    return 0;
}

/* analysis.post_type.asking(span.strip()) on data[start:end]. */
static int span_asks(int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    while (start < end && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, start))) start++;
    while (end > start && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, end - 1))) end--;
    if (end == start) return 0;
    Py_UCS4 last = PyUnicode_READ(kind, data, end - 1);
    if (last == 0xFF1F || last == '?') return 1;
    Py_ssize_t j = end;
    while (j > start && is_closing(PyUnicode_READ(kind, data, j - 1))) j--;
    if (j > start) {
        Py_UCS4 p = PyUnicode_READ(kind, data, j - 1);
        if (p == 0x5417 || p == 0x5462 || p == 0x4E48 || p == 0x561B) return 1; /* 吗呢么嘛 */
    }
    for (Py_ssize_t i = start; i < end; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        for (size_t k = 0; k < N_ASKING; k++) {
            Py_ssize_t n = asking_lengths[k];
            if (c != asking_words[k][0] || i + n > end) continue;
            Py_ssize_t m = 1;
            while (m < n && PyUnicode_READ(kind, data, i + m) == asking_words[k][m]) m++;
            if (m == n) return 1;
        }
    }
    return 0;
}

typedef struct {
    Py_ssize_t *ends; /* letters and digits up to each sentence's end */
    unsigned char *asks;
    Py_ssize_t n;
} Sentences;

static int sentences_of(PyObject *text, Sentences *out) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t len = PyUnicode_GET_LENGTH(text), i = 0, letters = 0, cap = 16;
    out->n = 0;
    out->ends = PyMem_Malloc(cap * sizeof(Py_ssize_t));
    out->asks = PyMem_Malloc(cap);
    if (!out->ends || !out->asks) goto nomem;
    while (i < len) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (is_end(c) || c == '\n') {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        while (i < len && !is_end(c = PyUnicode_READ(kind, data, i)) && c != '\n') {
            if (Py_UNICODE_ISALNUM(c)) letters++; /* what _NOT_WORD ([\W_]+) leaves */
            i++;
        }
        while (i < len && is_end(PyUnicode_READ(kind, data, i))) i++; /* marks: never letters */
        if (out->n == cap) {
            cap *= 2;
            Py_ssize_t *ends = PyMem_Realloc(out->ends, cap * sizeof(Py_ssize_t));
            if (!ends) goto nomem;
            out->ends = ends;
            unsigned char *asks = PyMem_Realloc(out->asks, cap);
            if (!asks) goto nomem;
            out->asks = asks;
        }
        out->ends[out->n] = letters;
        out->asks[out->n] = (unsigned char)span_asks(kind, data, start, i);
        out->n++;
    }
    return 0;
nomem:
    PyMem_Free(out->ends);
    PyMem_Free(out->asks);
    out->ends = NULL;
    out->asks = NULL;
    PyErr_NoMemory();
    return -1;
}

/* gather(index, heading_words, words, folded) -> (weights, rows, heading_sum), bytes of float32: what
 * analysis.post_type.pooled hands numpy — the (3 × n) weights (1; whether the word's sentence asks; whether it
 * is a stopword), the words' vectors (n × dim, unknown words the zero row) and the sum of the heading's known
 * words' vectors, added one after another as numpy's sum over rows does. `folded`: normalise(text). */
static PyObject *Pools_gather(Pools *self, PyObject *args) {
    PyObject *index, *heading_words, *words, *folded;
    if (!PyArg_ParseTuple(args, "O!OOU", &PyDict_Type, &index, &heading_words, &words, &folded)) return NULL;
    PyObject *seq = PySequence_Fast(words, "words must be a sequence");
    if (!seq) return NULL;
    PyObject *heads = PySequence_Fast(heading_words, "heading words must be a sequence");
    if (!heads) {
        Py_DECREF(seq);
        return NULL;
    }
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq), dim = self->dim;
    PyObject *weights = PyBytes_FromStringAndSize(NULL, 3 * n * (Py_ssize_t)sizeof(float));
    PyObject *rows = PyBytes_FromStringAndSize(NULL, n * dim * (Py_ssize_t)sizeof(float));
    PyObject *head = PyBytes_FromStringAndSize(NULL, dim * (Py_ssize_t)sizeof(float));
    Sentences s = {NULL, NULL, 0};
    if (!weights || !rows || !head || sentences_of(folded, &s) < 0) goto fail;
    float *wt = (float *)PyBytes_AS_STRING(weights), *rw = (float *)PyBytes_AS_STRING(rows);
    float *hd = (float *)PyBytes_AS_STRING(head);
    PyObject **items = PySequence_Fast_ITEMS(seq);
    Py_ssize_t at = 0, sentence = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t r = self->count;
        if (!PyUnicode_Check(items[i])) {
            PyErr_SetString(PyExc_TypeError, "words must be str");
            goto fail;
        }
        if (row_of(index, items[i], self->count, &r) < 0) goto fail;
        /* The word's sentence: the first whose end (in letters and digits) lies beyond the word's first letter. */
        while (sentence < s.n && s.ends[sentence] <= at) sentence++;
        at += PyUnicode_GET_LENGTH(items[i]);
        wt[i] = 1.0f;
        wt[n + i] = sentence < s.n && s.asks[sentence] ? 1.0f : 0.0f;
        wt[2 * n + i] = self->stop[r] ? 1.0f : 0.0f;
        memcpy(rw + i * dim, self->data + r * dim, dim * sizeof(float));
    }
    memset(hd, 0, dim * sizeof(float));
    Py_ssize_t nh = PySequence_Fast_GET_SIZE(heads);
    PyObject **hitems = PySequence_Fast_ITEMS(heads);
    for (Py_ssize_t i = 0; i < nh; i++) {
        Py_ssize_t r;
        int found = row_of(index, hitems[i], self->count, &r);
        if (found < 0) goto fail;
        if (found) {
            const float *row = self->data + r * dim;
            for (Py_ssize_t c = 0; c < dim; c++) hd[c] = hd[c] + row[c];
        }
    }
    PyMem_Free(s.ends);
    PyMem_Free(s.asks);
    Py_DECREF(seq);
    Py_DECREF(heads);
    return Py_BuildValue("(NNN)", weights, rows, head);
fail:
    PyMem_Free(s.ends);
    PyMem_Free(s.asks);
    Py_DECREF(seq);
    Py_DECREF(heads);
    Py_XDECREF(weights);
    Py_XDECREF(rows);
    Py_XDECREF(head);
    return NULL;
}

/* numpy's pairwise summation of float32 (numpy/_core/src/umath/loops_utils.h.src, pairwise_sum): what
 * (x * x).sum(axis=1) does along a row. */
static float pairwise_sum(const float *a, Py_ssize_t n) {
    if (n < 8) {
        float res = 0.0f;
        for (Py_ssize_t i = 0; i < n; i++) res += a[i];
        return res;
    }
    if (n <= 128) {
        float r[8], res;
        Py_ssize_t i;
        for (int k = 0; k < 8; k++) r[k] = a[k];
        for (i = 8; i < n - (n % 8); i += 8)
            for (int k = 0; k < 8; k++) r[k] += a[i + k];
        res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for (; i < n; i++) res += a[i];
        return res;
    }
    Py_ssize_t n2 = n / 2;
    n2 -= n2 % 8;
    return pairwise_sum(a, n2) + pairwise_sum(a + n2, n - n2);
}

/* pool(sums, heading_sum, kinds, scales) -> bytes of float32: the pooled vectors end to end, from numpy's
 * (weights @ rows) (3 × dim: all words, the asking sentences', the stopwords') and the heading's sum. Each pool
 * (p: all but the stopwords, h: the heading, a: the asking sentences, o: the others) is scaled to unit length
 * times its scale; one with no known word (norm ≤ 1e-6) stays zeros. */
static PyObject *Pools_pool(Pools *self, PyObject *args) {
    Py_buffer sums, head;
    PyObject *kinds, *scales;
    if (!PyArg_ParseTuple(args, "y*y*UO", &sums, &head, &kinds, &scales)) return NULL;
    Py_ssize_t dim = self->dim, k = PyUnicode_GET_LENGTH(kinds);
    PyObject *out = NULL, *sseq = NULL;
    float *sq = NULL;
    if (sums.len != 3 * dim * (Py_ssize_t)sizeof(float) || head.len != dim * (Py_ssize_t)sizeof(float)) {
        PyErr_SetString(PyExc_ValueError, "pool: 3 × dim sums and dim heading sums, float32");
        goto done;
    }
    sseq = PySequence_Fast(scales, "scales must be a sequence");
    if (!sseq) goto done;
    if (PySequence_Fast_GET_SIZE(sseq) != k) {
        PyErr_SetString(PyExc_ValueError, "pool: one scale a kind");
        goto done;
    }
    out = PyBytes_FromStringAndSize(NULL, k * dim * (Py_ssize_t)sizeof(float));
    sq = PyMem_Malloc(dim * sizeof(float));
    if (!out || !sq) {
        if (out) PyErr_NoMemory();
        Py_CLEAR(out);
        goto done;
    }
    const float *all = (const float *)sums.buf, *asked = all + dim, *stopped = all + 2 * dim;
    const float *heading = (const float *)head.buf;
    float *o = (float *)PyBytes_AS_STRING(out);
    for (Py_ssize_t p = 0; p < k; p++, o += dim) {
        Py_UCS4 kind = PyUnicode_READ_CHAR(kinds, p);
        for (Py_ssize_t c = 0; c < dim; c++) {
            /* _combination @ sums: coefficients 1, 0 and -1, so one rounding at most, whatever BLAS's order */
            switch (kind) {
            case 'p':
                o[c] = all[c] - stopped[c];
                break;
            case 'h':
                o[c] = heading[c];
                break;
            case 'a':
                o[c] = asked[c];
                break;
            case 'o':
                o[c] = all[c] - asked[c];
                break;
            default:
                PyErr_SetString(PyExc_ValueError, "pool kinds are p, h, a and o");
                Py_CLEAR(out);
                goto done;
            }
        }
        for (Py_ssize_t c = 0; c < dim; c++) sq[c] = o[c] * o[c];
        float norm = sqrtf(pairwise_sum(sq, dim));
        double scale_d = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(sseq, p));
        if (scale_d == -1.0 && PyErr_Occurred()) {
            Py_CLEAR(out);
            goto done;
        }
        float scale = (float)scale_d, factor = norm > (float)1e-6 ? scale / norm : 0.0f;
        for (Py_ssize_t c = 0; c < dim; c++) o[c] = o[c] * factor;
    }
done:
    PyMem_Free(sq);
    Py_XDECREF(sseq);
    PyBuffer_Release(&sums);
    PyBuffer_Release(&head);
    return out;
}

static PyMethodDef Pools_methods[] = {
    {"gather", (PyCFunction)Pools_gather, METH_VARARGS,
     "gather(index, heading_words, words, folded) -> (weights, rows, heading_sum): float32 bytes"},
    {"pool", (PyCFunction)Pools_pool, METH_VARARGS,
     "pool(sums, heading_sum, kinds, scales) -> bytes: the pooled vectors, float32"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject PoolsType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "store._judgec.Pools",
    .tp_basicsize = sizeof(Pools),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Pools(padded, stopped, dim): the word-vector table (float32, zero row last) and its stopword flags",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Pools_init,
    .tp_dealloc = (destructor)Pools_dealloc,
    .tp_methods = Pools_methods,
};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "store._judgec", "the judgement's inner loops, compiled",
                                    -1, NULL};

PyMODINIT_FUNC PyInit__judgec(void) {
    if (asking_words_ready() < 0 || PyType_Ready(&RowsType) < 0 || PyType_Ready(&PoolsType) < 0) return NULL;
    PyObject *m = PyModule_Create(&module);
    if (!m) return NULL;
    Py_INCREF(&RowsType);
    if (PyModule_AddObject(m, "Rows", (PyObject *)&RowsType) < 0) {
        Py_DECREF(&RowsType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&PoolsType);
    if (PyModule_AddObject(m, "Pools", (PyObject *)&PoolsType) < 0) {
        Py_DECREF(&PoolsType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
