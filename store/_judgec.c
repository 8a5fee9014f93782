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

/* Index(mapping): a dict of str -> row as a flat open-addressing table (hash, word, row in one slot). A lookup
 * touches one slot where a dict touches its index, its entry and the row's int object: on tables of thousands of
 * words read a few words a post, each of those is a trip to memory. Keys are compared by identity first (the
 * tokeniser's words and the tables' keys are interned), then as str. */
typedef struct {
    Py_hash_t hash;
    PyObject *key;
    Py_ssize_t value;
} Slot;

typedef struct {
    PyObject_HEAD
    Slot *slots;
    Py_ssize_t mask, used;
} Index;

static PyTypeObject IndexType;

static int Index_init(Index *self, PyObject *args, PyObject *kwds) {
    PyObject *mapping;
    if (self->slots) {
        PyErr_SetString(PyExc_RuntimeError, "Index is initialised once");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!", &PyDict_Type, &mapping)) return -1;
    Py_ssize_t n = PyDict_GET_SIZE(mapping), size = 8;
    while (size < n + n / 2 + 1) size *= 2; /* at most two thirds full */
    self->slots = PyMem_Calloc(size, sizeof(Slot));
    if (!self->slots) {
        PyErr_NoMemory();
        return -1;
    }
    self->mask = size - 1;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(mapping, &pos, &key, &value)) {
        if (!PyUnicode_CheckExact(key)) {
            PyErr_SetString(PyExc_TypeError, "Index: keys must be str");
            return -1;
        }
        Py_ssize_t v = PyLong_AsSsize_t(value);
        if (v == -1 && PyErr_Occurred()) return -1;
        Py_hash_t h = PyObject_Hash(key);
        if (h == -1) return -1;
        Py_ssize_t i = (Py_ssize_t)((size_t)h & (size_t)self->mask);
        while (self->slots[i].key) i = (i + 1) & self->mask; /* a dict's keys are distinct */
        Py_INCREF(key);
        self->slots[i] = (Slot){h, key, v};
        self->used++;
    }
    return 0;
}

static void Index_dealloc(Index *self) {
    if (self->slots) {
        for (Py_ssize_t i = 0; i <= self->mask; i++) Py_XDECREF(self->slots[i].key);
        PyMem_Free(self->slots);
    }
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* 1 found (*value set), 0 absent, -1 error. */
static int index_find(Index *self, PyObject *word, Py_ssize_t *value) {
    Py_hash_t h = PyObject_Hash(word);
    if (h == -1) return -1;
    Py_ssize_t i = (Py_ssize_t)((size_t)h & (size_t)self->mask);
    for (;;) {
        Slot *s = &self->slots[i];
        if (!s->key) return 0;
        if (s->key == word) {
            *value = s->value;
            return 1;
        }
        if (s->hash == h) {
            int same = PyObject_RichCompareBool(s->key, word, Py_EQ);
            if (same < 0) return -1;
            if (same) {
                *value = s->value;
                return 1;
            }
        }
        i = (i + 1) & self->mask;
    }
}

static PyObject *Index_get(Index *self, PyObject *args) {
    PyObject *word, *otherwise = Py_None;
    if (!PyArg_ParseTuple(args, "O|O", &word, &otherwise)) return NULL;
    Py_ssize_t v;
    int found = self->slots ? index_find(self, word, &v) : 0;
    if (found < 0) return NULL;
    if (found) return PyLong_FromSsize_t(v);
    Py_INCREF(otherwise);
    return otherwise;
}

static Py_ssize_t Index_length(Index *self) { return self->used; }

static int Index_contains(Index *self, PyObject *word) {
    Py_ssize_t v;
    return self->slots ? index_find(self, word, &v) : 0;
}

static PyMethodDef Index_methods[] = {
    {"get", (PyCFunction)Index_get, METH_VARARGS, "get(word, default=None) -> the word's row or default"},
    {NULL, NULL, 0, NULL}};

static PySequenceMethods Index_sequence = {.sq_length = (lenfunc)Index_length,
                                           .sq_contains = (objobjproc)Index_contains};

static PyTypeObject IndexType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "store._judgec.Index",
    .tp_basicsize = sizeof(Index),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Index(mapping): word -> row, read in C",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Index_init,
    .tp_dealloc = (destructor)Index_dealloc,
    .tp_methods = Index_methods,
    .tp_as_sequence = &Index_sequence,
};

/* The row of `word` in `index` (an Index, or a dict of str -> int): 1 found, 0 absent, -1 error. */
static int row_of(PyObject *index, PyObject *word, Py_ssize_t count, Py_ssize_t *row) {
    Py_ssize_t r;
    if (Py_IS_TYPE(index, &IndexType)) {
        Index *ix = (Index *)index;
        int found = ix->slots ? index_find(ix, word, &r) : 0;
        if (found <= 0) return found;
    } else {
        PyObject *v = PyDict_GetItemWithError(index, word);
        if (v == NULL) return PyErr_Occurred() ? -1 : 0;
        r = PyLong_AsSsize_t(v);
        if (r == -1 && PyErr_Occurred()) return -1;
    }
    if (r < 0 || r >= count) {
        PyErr_SetString(PyExc_IndexError, "word row out of the table");
        return -1;
    }
    *row = r;
    return 1;
}

/* An index argument: an Index or a dict. */
static int index_arg(PyObject *obj, void *out) {
    if (!Py_IS_TYPE(obj, &IndexType) && !PyDict_Check(obj)) {
        PyErr_SetString(PyExc_TypeError, "an index must be an Index or a dict of str -> row");
        return 0;
    }
    *(PyObject **)out = obj;
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

/* The bias of each class into total[0..w): a sequence of `w` numbers. */
static int read_bias(PyObject *bias, Py_ssize_t w, double *total) {
    PyObject *bseq = PySequence_Fast(bias, "bias must be a sequence");
    if (!bseq) return -1;
    if (PySequence_Fast_GET_SIZE(bseq) != w) {
        Py_DECREF(bseq);
        PyErr_SetString(PyExc_ValueError, "one bias a class");
        return -1;
    }
    for (Py_ssize_t c = 0; c < w; c++) {
        total[c] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(bseq, c));
        if (total[c] == -1.0 && PyErr_Occurred()) {
            Py_DECREF(bseq);
            return -1;
        }
    }
    Py_DECREF(bseq);
    return 0;
}

/* The end both scores() share, in PostTypeModel.post_scores' order of additions (so the sums are the same to the
 * bit): total (the bias) + dot (the named features) + the pooled vectors' scores (`dense`: float32 numbers a class,
 * or None) + the rows of the post's distinct words / √their number + the heading's likewise -> list of floats. */
static PyObject *class_scores(Rows *rows, double *total, const double *dot, PyObject *dense, PyObject *word_index,
                              PyObject *words, PyObject *heading_index, PyObject *heading_words) {
    Py_ssize_t w = rows->width;
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
    if (add_unique(rows, word_index, words, total) < 0 || add_unique(rows, heading_index, heading_words, total) < 0)
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

/* scores(bias, index, found, dense, word_index, words, heading_index, heading_words) -> list of floats: the post
 * type's class scores, as PostTypeModel.post_scores adds them up: bias + Σ value × row over the named features
 * (`found`, in its order), + the pooled vectors' scores (`dense`: float32 numbers a class, or None), + the rows of
 * the post's distinct words / √their number, + the heading's likewise. `words` and `heading_words` may be given
 * as their sets (set(words) as the caller built it). */
static PyObject *Rows_scores(Rows *self, PyObject *args) {
    PyObject *bias, *index, *found, *dense, *word_index, *words, *heading_index, *heading_words;
    if (!PyArg_ParseTuple(args, "OO!O!OO&OO&O", &bias, &PyDict_Type, &index, &PyDict_Type, &found, &dense, index_arg,
                          &word_index, &words, index_arg, &heading_index, &heading_words))
        return NULL;
    Py_ssize_t w = self->width;
    double total[MAX_WIDTH], dot[MAX_WIDTH] = {0};
    if (read_bias(bias, w, total) < 0) return NULL;
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
    return class_scores(self, total, dot, dense, word_index, words, heading_index, heading_words);
}

/* Over the distinct words (set(words), in its order) known to `index`: acc += row × scale and *known += 1 for each;
 * and each such word of more than one character not in `skip` adds row[column] × scale to evidence[word]. `words`
 * may be given as set(words), built by the caller. 0, or -1 with an exception set. */
static int scored_into(Rows *self, PyObject *index, PyObject *words, double scale, Py_ssize_t column,
                       PyObject *evidence, PyObject *skip, double *acc, Py_ssize_t *known) {
    Py_ssize_t w = self->width;
    PyObject *part = distinct(words);
    if (!part) return -1;
    PyObject *it = PyObject_GetIter(part), *word;
    if (!it) goto fail;
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
        (*known)++;
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
    return 0;
fail:
    Py_XDECREF(it);
    Py_DECREF(part);
    return -1;
}

static int scored_args(Rows *self, Py_ssize_t column, PyObject *skip) {
    if (column < 0 || column >= self->width) {
        PyErr_SetString(PyExc_ValueError, "scored: no such column");
        return -1;
    }
    if (!PyAnySet_Check(skip)) {
        PyErr_SetString(PyExc_TypeError, "scored: skip must be a set or frozenset");
        return -1;
    }
    return 0;
}

/* scored(index, words, scale, column, evidence, skip) -> (sums, known): over the distinct words (set(words), in
 * its order) known to `index`, Σ row × scale (a tuple of `width`) and how many there are; and each such word of
 * more than one character not in `skip` adds row[column] × scale to evidence[word] — the grader's word features
 * of one kind (analysis.grader._scored, each multiplied by the kind's scale) and their share of the evidence.
 * `words` may be given as set(words), built by the caller. */
static PyObject *Rows_scored(Rows *self, PyObject *args) {
    PyObject *index, *words, *evidence, *skip;
    double scale;
    Py_ssize_t column, known = 0;
    if (!PyArg_ParseTuple(args, "O&OdnO!O", index_arg, &index, &words, &scale, &column, &PyDict_Type, &evidence,
                          &skip))
        return NULL;
    if (scored_args(self, column, skip) < 0) return NULL;
    double acc[MAX_WIDTH] = {0};
    if (scored_into(self, index, words, scale, column, evidence, skip, acc, &known) < 0) return NULL;
    PyObject *sums = tuple_of(acc, self->width);
    if (!sums) return NULL;
    return Py_BuildValue("(Nn)", sums, known);
}

static PyTypeObject RowsType;

/* The mean row (rows->width numbers, at most MAX_WIDTH) of the known words of a sequence, as Rows.mean gives it. */
static int mean_into(Rows *rows, PyObject *index, PyObject *words, double *acc) {
    PyObject *seq = PySequence_Fast(words, "words must be a sequence");
    if (!seq) return -1;
    Py_ssize_t known = 0, n = PySequence_Fast_GET_SIZE(seq), w = rows->width;
    PyObject **items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t c = 0; c < w; c++) acc[c] = 0.0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_ssize_t r;
        int found = row_of(index, items[i], rows->count, &r);
        if (found < 0) {
            Py_DECREF(seq);
            return -1;
        }
        if (found) {
            const double *row = rows->data + r * w;
            for (Py_ssize_t c = 0; c < w; c++) acc[c] += row[c];
            known++;
        }
    }
    Py_DECREF(seq);
    if (known)
        for (Py_ssize_t c = 0; c < w; c++) acc[c] /= (double)known;
    return 0;
}

/* grade(word_index, words, title_index, title_words, column, evidence, skip, facts, vector_index, title_rows,
 * title_list, post_rows, word_list) -> (sums, known): the grader's log-odds before the bias in one call, as
 * analysis.grader.Grader.grade adds them up: the post's distinct words' rows / √their number, + the title's likewise
 * (each as `scored` gives it, evidence included), + the facts' sums (a tuple, or None: 0.0), + the mean projected
 * row of the title's words (title_rows, read by vector_index, each occurrence counted), + the post's likewise. */
static PyObject *Rows_grade(Rows *self, PyObject *args) {
    PyObject *word_index, *words, *title_index, *title_words, *evidence, *skip, *facts, *vector_index, *title_list,
        *word_list;
    Rows *title_rows, *post_rows;
    Py_ssize_t column, known = 0;
    if (!PyArg_ParseTuple(args, "O&OO&OnO!OOO&O!OO!O", index_arg, &word_index, &words, index_arg, &title_index,
                          &title_words, &column, &PyDict_Type, &evidence, &skip, &facts, index_arg, &vector_index,
                          &RowsType, &title_rows, &title_list, &RowsType, &post_rows, &word_list))
        return NULL;
    Py_ssize_t w = self->width;
    if (scored_args(self, column, skip) < 0) return NULL;
    if (title_rows->width != w || post_rows->width != w) {
        PyErr_SetString(PyExc_ValueError, "grade: the projected rows must be as wide as the weights");
        return NULL;
    }
    double fact_sums[MAX_WIDTH] = {0};
    if (facts != Py_None) {
        PyObject *fseq = PySequence_Fast(facts, "facts must be a sequence of numbers or None");
        if (!fseq) return NULL;
        if (PySequence_Fast_GET_SIZE(fseq) != w) {
            Py_DECREF(fseq);
            PyErr_SetString(PyExc_ValueError, "grade: one fact sum a step");
            return NULL;
        }
        for (Py_ssize_t c = 0; c < w; c++) {
            fact_sums[c] = PyFloat_AsDouble(PySequence_Fast_GET_ITEM(fseq, c));
            if (fact_sums[c] == -1.0 && PyErr_Occurred()) {
                Py_DECREF(fseq);
                return NULL;
            }
        }
        Py_DECREF(fseq);
    }
    Py_ssize_t body = PyAnySet_CheckExact(words) ? PySet_GET_SIZE(words) : -1;
    Py_ssize_t title = PyAnySet_CheckExact(title_words) ? PySet_GET_SIZE(title_words) : -1;
    if (body < 0 || title < 0) {
        PyErr_SetString(PyExc_TypeError, "grade: the words and the title's words come as their sets");
        return NULL;
    }
    double in_post[MAX_WIDTH] = {0}, in_title[MAX_WIDTH] = {0}, title_mean[MAX_WIDTH], post_mean[MAX_WIDTH];
    double sums[MAX_WIDTH];
    /* 1.0 / math.sqrt(n) if n else 0.0: sqrt and the division are correctly rounded in both */
    double post_scale = body ? 1.0 / sqrt((double)body) : 0.0, title_scale = title ? 1.0 / sqrt((double)title) : 0.0;
    if (scored_into(self, word_index, words, post_scale, column, evidence, skip, in_post, &known) < 0 ||
        scored_into(self, title_index, title_words, title_scale, column, evidence, skip, in_title, &known) < 0 ||
        mean_into(title_rows, vector_index, title_list, title_mean) < 0 ||
        mean_into(post_rows, vector_index, word_list, post_mean) < 0)
        return NULL;
    for (Py_ssize_t c = 0; c < w; c++) {
        double z = in_post[c] + in_title[c];
        z = z + fact_sums[c];
        z = z + title_mean[c];
        sums[c] = z + post_mean[c];
    }
    PyObject *out = tuple_of(sums, w);
    if (!out) return NULL;
    return Py_BuildValue("(Nn)", out, known);
}

/* mean(index, words): the average row of the known words (each occurrence counts), zeros when none is known —
 * analysis.grader._mean, the same additions in the same order. */
static PyObject *Rows_mean(Rows *self, PyObject *args) {
    PyObject *index, *words;
    if (!PyArg_ParseTuple(args, "O&O", index_arg, &index, &words)) return NULL;
    double acc[MAX_WIDTH];
    if (mean_into(self, index, words, acc) < 0) return NULL;
    return tuple_of(acc, self->width);
}

static PyMethodDef Rows_methods[] = {
    {"mean", (PyCFunction)Rows_mean, METH_VARARGS, "mean(index, words) -> tuple: the known words' average row"},
    {"scored", (PyCFunction)Rows_scored, METH_VARARGS,
     "scored(index, words, scale, column, evidence, skip) -> (sums, known): the distinct known words' rows × scale"},
    {"scores", (PyCFunction)Rows_scores, METH_VARARGS,
     "scores(bias, index, found, dense, word_index, words, heading_index, heading_words) -> list: class scores"},
    {"grade", (PyCFunction)Rows_grade, METH_VARARGS,
     "grade(word_index, words, title_index, title_words, column, evidence, skip, facts, vector_index, title_rows, "
     "title_list, post_rows, word_list) -> (sums, known): the grader's words, facts and dense part summed"},
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
    if (!PyArg_ParseTuple(args, "O&OOU", index_arg, &index, &heading_words, &words, &folded)) return NULL;
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

/* ------------------------------------------------------------------------------------------------------------ */
/* Cues: the post type's named features (analysis/post_type.py: named_features, question_features' question marks,
 * sentence_features) found and scored in one pass, each added to the class scores in the order PostTypeModel's
 * `found` dict holds them, so the same sums as Rows.scores over that dict.
 *
 * A cue pattern comes as analysis.judgec.literals gives it: (begins, ends, ((text, never, then), …)): one of the
 * texts, at the start when `begins`, not followed by any of `never`, then any run of `then`'s characters up to the
 * end (or a final line break: Python's $) when `ends`. */

typedef struct {
    Py_UCS4 *text, *then;
    Py_ssize_t len, nthen, nnever;
    Py_UCS4 **never;
    Py_ssize_t *never_len;
} Alternative;

typedef struct {
    int begins, ends, any_empty;
    Py_ssize_t n;
    Alternative *alts;
    uint64_t bloom[16]; /* the alternatives' first characters, by their low 10 bits */
} Pattern;

static void pattern_free(Pattern *p) {
    if (!p->alts) return;
    for (Py_ssize_t i = 0; i < p->n; i++) {
        Alternative *a = &p->alts[i];
        PyMem_Free(a->text);
        PyMem_Free(a->then);
        for (Py_ssize_t k = 0; k < a->nnever; k++) PyMem_Free(a->never[k]);
        PyMem_Free(a->never);
        PyMem_Free(a->never_len);
    }
    PyMem_Free(p->alts);
    p->alts = NULL;
    p->n = 0;
}

static Py_UCS4 *ucs4_of(PyObject *s, Py_ssize_t *len) {
    if (!PyUnicode_Check(s)) {
        PyErr_SetString(PyExc_TypeError, "cue pattern: strings expected");
        return NULL;
    }
    *len = PyUnicode_GET_LENGTH(s);
    return PyUnicode_AsUCS4Copy(s);
}

static int pattern_init(Pattern *p, PyObject *spec) {
    memset(p, 0, sizeof(*p));
    PyObject *alts;
    if (!PyTuple_Check(spec) || !PyArg_ParseTuple(spec, "ppO!", &p->begins, &p->ends, &PyTuple_Type, &alts)) {
        if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "cue pattern: (begins, ends, alternatives)");
        return -1;
    }
    Py_ssize_t n = PyTuple_GET_SIZE(alts);
    p->alts = PyMem_Calloc(n ? n : 1, sizeof(Alternative));
    if (!p->alts) {
        PyErr_NoMemory();
        return -1;
    }
    p->n = n;
    for (Py_ssize_t i = 0; i < n; i++) {
        Alternative *a = &p->alts[i];
        PyObject *text, *never, *then;
        PyObject *alt = PyTuple_GET_ITEM(alts, i);
        if (!PyTuple_Check(alt) || !PyArg_ParseTuple(alt, "UO!U", &text, &PyTuple_Type, &never, &then)) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "cue alternative: (text, never, then)");
            goto fail;
        }
        if (!(a->text = ucs4_of(text, &a->len)) || !(a->then = ucs4_of(then, &a->nthen))) goto fail;
        Py_ssize_t k = PyTuple_GET_SIZE(never);
        a->never = PyMem_Calloc(k ? k : 1, sizeof(Py_UCS4 *));
        a->never_len = PyMem_Calloc(k ? k : 1, sizeof(Py_ssize_t));
        if (!a->never || !a->never_len) {
            PyErr_NoMemory();
            goto fail;
        }
        for (Py_ssize_t j = 0; j < k; j++) {
            if (!(a->never[j] = ucs4_of(PyTuple_GET_ITEM(never, j), &a->never_len[j]))) goto fail;
            a->nnever = j + 1;
        }
        if (a->len == 0)
            p->any_empty = 1;
        else
            p->bloom[(a->text[0] & 1023) >> 6] |= (uint64_t)1 << (a->text[0] & 63);
    }
    return 0;
fail:
    pattern_free(p);
    return -1;
}

static int in_chars(const Py_UCS4 *s, Py_ssize_t n, Py_UCS4 c) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (s[i] == c) return 1;
    return 0;
}

static int same_at(int kind, const void *data, Py_ssize_t at, Py_ssize_t end, const Py_UCS4 *s, Py_ssize_t n) {
    if (at + n > end) return 0;
    for (Py_ssize_t k = 0; k < n; k++)
        if (PyUnicode_READ(kind, data, at + k) != s[k]) return 0;
    return 1;
}

/* Whether `a` matches at `at` in data[start:end] (the lookahead and $ see only that span). */
static int alternative_at(const Pattern *p, const Alternative *a, int kind, const void *data, Py_ssize_t start,
                          Py_ssize_t at, Py_ssize_t end) {
    if (!same_at(kind, data, at, end, a->text, a->len)) return 0;
    Py_ssize_t q = at + a->len;
    for (Py_ssize_t k = 0; k < a->nnever; k++)
        if (same_at(kind, data, q, end, a->never[k], a->never_len[k])) return 0;
    if (!p->ends) return 1;
    /* $: at the end, or before a line break ending the span, after any run of `then`'s characters */
    Py_ssize_t k = q;
    while (k < end && in_chars(a->then, a->nthen, PyUnicode_READ(kind, data, k))) k++;
    if (k == end) return 1;
    return k == end - 1 && end - 1 >= start && PyUnicode_READ(kind, data, end - 1) == '\n';
}

/* pattern.search(text[start:end]) is not None */
static int pattern_search(const Pattern *p, int kind, const void *data, Py_ssize_t start, Py_ssize_t end) {
    Py_ssize_t last = p->begins ? start : end;
    for (Py_ssize_t at = start; at <= last; at++) {
        Py_UCS4 c = at < end ? PyUnicode_READ(kind, data, at) : 0;
        if (!p->any_empty && (at >= end || !(p->bloom[(c & 1023) >> 6] >> (c & 63) & 1))) continue;
        for (Py_ssize_t i = 0; i < p->n; i++) {
            const Alternative *a = &p->alts[i];
            if (a->len && a->text[0] != c) continue;
            if (alternative_at(p, a, kind, data, start, at, end)) return 1;
        }
    }
    return 0;
}

static int search_all(const Pattern *ps, Py_ssize_t n, int kind, const void *data, Py_ssize_t start,
                      Py_ssize_t end) {
    for (Py_ssize_t i = 0; i < n; i++)
        if (pattern_search(&ps[i], kind, data, start, end)) return 1;
    return 0;
}

#define MAX_CUES 32

typedef struct {
    PyObject_HEAD
    Rows *rows;
    PyObject *cue_index; /* word -> heading cue bits | body cue bits << 32 */
    Py_ssize_t ntype, nbody, nforms, nsentence, nasking;
    Py_ssize_t type_rows[MAX_CUES], body_rows[MAX_CUES], density_rows[MAX_CUES], form_rows[MAX_CUES],
        sentence_rows[MAX_CUES];
    Pattern forms[MAX_CUES], sentence[MAX_CUES], asking[MAX_CUES], courtesy;
    Py_UCS4 *question, *ends;
    Py_ssize_t nquestion, nends, question_rows[3], s_rows[5], courtesy_row, courtesy_chars;
    Py_ssize_t request, me, thanks; /* indices among the sentence cues (thanks -1: not one) */
    long body_cap, sentence_cap;
    double body_density, scale;
    int held;
} Cues;

static void Cues_clear(Cues *self) {
    for (Py_ssize_t i = 0; i < MAX_CUES; i++) {
        pattern_free(&self->forms[i]);
        pattern_free(&self->sentence[i]);
        pattern_free(&self->asking[i]);
    }
    pattern_free(&self->courtesy);
    PyMem_Free(self->question);
    PyMem_Free(self->ends);
    self->question = self->ends = NULL;
    Py_CLEAR(self->rows);
    Py_CLEAR(self->cue_index);
}

static void Cues_dealloc(Cues *self) {
    Cues_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

/* Rows as ints (-1: the model has no such feature), each checked against the table. */
static int rows_of(PyObject *seq, Py_ssize_t *out, Py_ssize_t want, Py_ssize_t count, const char *what) {
    if (!PyTuple_Check(seq) || PyTuple_GET_SIZE(seq) != want) {
        PyErr_Format(PyExc_ValueError, "Cues: %s: a tuple of %zd rows", what, want);
        return -1;
    }
    for (Py_ssize_t i = 0; i < want; i++) {
        Py_ssize_t r = PyLong_AsSsize_t(PyTuple_GET_ITEM(seq, i));
        if (r == -1 && PyErr_Occurred()) return -1;
        if (r < -1 || r >= count) {
            PyErr_SetString(PyExc_IndexError, "Cues: feature row out of the table");
            return -1;
        }
        out[i] = r;
    }
    return 0;
}

/* Patterns with a row each, ((pattern, row), …), or bare patterns when rows is NULL. */
static int patterns_of(PyObject *seq, Pattern *out, Py_ssize_t *rows, Py_ssize_t *n, Py_ssize_t count) {
    if (!PyTuple_Check(seq) || PyTuple_GET_SIZE(seq) > MAX_CUES) {
        PyErr_SetString(PyExc_ValueError, "Cues: at most 32 patterns, as a tuple");
        return -1;
    }
    *n = PyTuple_GET_SIZE(seq);
    for (Py_ssize_t i = 0; i < *n; i++) {
        PyObject *item = PyTuple_GET_ITEM(seq, i), *spec = item;
        if (rows) {
            if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
                PyErr_SetString(PyExc_TypeError, "Cues: (pattern, row) expected");
                return -1;
            }
            spec = PyTuple_GET_ITEM(item, 0);
            PyObject *one = PyTuple_Pack(1, PyTuple_GET_ITEM(item, 1));
            if (!one) return -1;
            int bad = rows_of(one, &rows[i], 1, count, "pattern row");
            Py_DECREF(one);
            if (bad) return -1;
        }
        if (pattern_init(&out[i], spec) < 0) return -1;
    }
    return 0;
}

/* Cues(rows, cue_index, type_rows, body_rows, density_rows, forms, question, question_rows, sentence_cues,
 *      picks, asking, courtesy, courtesy_row, ends, courtesy_chars, s_rows, body_cap, body_density, sentence_cap,
 *      scale) — built by analysis.judgec.cues from analysis/post_type.py's cue definitions and a model's rows. */
static int Cues_init(Cues *self, PyObject *args, PyObject *kwds) {
    PyObject *rows, *index, *type_rows, *body_rows, *density_rows, *forms, *question, *question_rows, *sentence,
        *picks, *asking, *courtesy, *ends, *s_rows;
    Py_ssize_t courtesy_row, courtesy_chars;
    if (self->held) {
        PyErr_SetString(PyExc_RuntimeError, "Cues is initialised once");
        return -1;
    }
    if (!PyArg_ParseTuple(args, "O!O!O!O!O!O!UO!O!O!O!OnUnO!ldld", &RowsType, &rows, &PyDict_Type, &index,
                          &PyTuple_Type, &type_rows, &PyTuple_Type, &body_rows, &PyTuple_Type, &density_rows,
                          &PyTuple_Type, &forms, &question, &PyTuple_Type, &question_rows, &PyTuple_Type, &sentence,
                          &PyTuple_Type, &picks, &PyTuple_Type, &asking, &courtesy, &courtesy_row, &ends,
                          &courtesy_chars, &PyTuple_Type, &s_rows, &self->body_cap, &self->body_density,
                          &self->sentence_cap, &self->scale))
        return -1;
    self->held = 1;
    Rows *table = (Rows *)rows;
    Py_INCREF(rows);
    self->rows = table;
    Py_INCREF(index);
    self->cue_index = index;
    Py_ssize_t count = table->count, n;
    if (self->body_cap < 1 || self->sentence_cap < 1) {
        PyErr_SetString(PyExc_ValueError, "Cues: caps must be positive");
        return -1;
    }
    self->ntype = PyTuple_GET_SIZE(type_rows);
    self->nbody = PyTuple_GET_SIZE(body_rows);
    if (self->ntype > MAX_CUES || self->nbody > MAX_CUES) {
        PyErr_SetString(PyExc_ValueError, "Cues: at most 32 cue groups of each kind");
        return -1;
    }
    if (rows_of(type_rows, self->type_rows, self->ntype, count, "type rows") < 0 ||
        rows_of(body_rows, self->body_rows, self->nbody, count, "body rows") < 0 ||
        rows_of(density_rows, self->density_rows, self->nbody, count, "density rows") < 0 ||
        rows_of(question_rows, self->question_rows, 3, count, "question rows") < 0 ||
        rows_of(s_rows, self->s_rows, 5, count, "sentence rows") < 0)
        return -1;
    if (courtesy_row < -1 || courtesy_row >= count) {
        PyErr_SetString(PyExc_IndexError, "Cues: feature row out of the table");
        return -1;
    }
    self->courtesy_row = courtesy_row;
    self->courtesy_chars = courtesy_chars;
    if (patterns_of(forms, self->forms, self->form_rows, &self->nforms, count) < 0 ||
        patterns_of(sentence, self->sentence, self->sentence_rows, &self->nsentence, count) < 0 ||
        patterns_of(asking, self->asking, NULL, &self->nasking, count) < 0 || pattern_init(&self->courtesy, courtesy) < 0)
        return -1;
    if (!PyArg_ParseTuple(picks, "nnn", &self->request, &self->me, &self->thanks)) return -1;
    n = self->nsentence;
    if (self->request < 0 || self->request >= n || self->me < 0 || self->me >= n || self->thanks < -1 ||
        self->thanks >= n) {
        PyErr_SetString(PyExc_ValueError, "Cues: request, me and thanks must be sentence cues");
        return -1;
    }
    if (!(self->question = ucs4_of(question, &self->nquestion)) || !(self->ends = ucs4_of(ends, &self->nends)))
        return -1;
    return 0;
}

typedef struct {
    const double *data;
    Py_ssize_t width;
    double *dot;
} Adder;

static inline void add_row(const Adder *a, Py_ssize_t row, double v) {
    if (row < 0) return;
    const double *r = a->data + row * a->width;
    for (Py_ssize_t c = 0; c < a->width; c++) a->dot[c] += v * r[c];
}

/* Bits of `word` in the cue index: 0 absent, -1 error (with an exception set) is told by PyErr_Occurred. */
static unsigned long long cue_bits(PyObject *index, PyObject *word) {
    PyObject *v = PyDict_GetItemWithError(index, word);
    if (!v) return 0;
    return PyLong_AsUnsignedLongLongMask(v);
}

/* Adds each row of `seq` (a tuple of ints) at `scale`. */
static int add_rows(const Adder *add, PyObject *seq, Py_ssize_t count, double scale) {
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(seq); i++) {
        Py_ssize_t r = PyLong_AsSsize_t(PyTuple_GET_ITEM(seq, i));
        if (r == -1 && PyErr_Occurred()) return -1;
        if (r < 0 || r >= count) {
            PyErr_SetString(PyExc_IndexError, "feature row out of the table");
            return -1;
        }
        add_row(add, r, scale);
    }
    return 0;
}

/* The named features into `dot`, in `found`'s order: f (fact_rows), c, b, d, h, k (kin_rows), q, s. */
static int Cues_named(Cues *self, const Adder *add, PyObject *heading, PyObject *text, PyObject *words,
                      PyObject *head, PyObject *fact_rows, PyObject *kin_rows) {
    double scale = self->scale;
    Py_ssize_t count = self->rows->count;
    int hk = PyUnicode_KIND(heading), tk = PyUnicode_KIND(text);
    const void *hd = PyUnicode_DATA(heading), *td = PyUnicode_DATA(text);
    Py_ssize_t hn = PyUnicode_GET_LENGTH(heading), tn = PyUnicode_GET_LENGTH(text);
    if (add_rows(add, fact_rows, count, scale) < 0) return -1;
    /* c: the heading cue groups any heading word is in */
    unsigned long long bits = 0;
    PyObject *it = PyObject_GetIter(head), *word;
    if (!it) return -1;
    while ((word = PyIter_Next(it)) != NULL) {
        bits |= cue_bits(self->cue_index, word);
        Py_DECREF(word);
        if (PyErr_Occurred()) break;
    }
    Py_DECREF(it);
    if (PyErr_Occurred()) return -1;
    for (Py_ssize_t i = 0; i < self->ntype; i++)
        if (bits >> i & 1) add_row(add, self->type_rows[i], scale);
    /* b and d: how often the post's words are in each body group, the groups in the order first met */
    {
        long counts[MAX_CUES] = {0};
        Py_ssize_t order[MAX_CUES], norder = 0;
        Py_ssize_t nwords = PyList_GET_SIZE(words);
        for (Py_ssize_t i = 0; i < nwords; i++) {
            unsigned long long b = cue_bits(self->cue_index, PyList_GET_ITEM(words, i)) >> 32;
            if (!b) {
                if (PyErr_Occurred()) return -1;
                continue;
            }
            for (Py_ssize_t g = 0; g < self->nbody; g++)
                if (b >> g & 1) {
                    if (!counts[g]) order[norder++] = g;
                    counts[g]++;
                }
        }
        for (Py_ssize_t k = 0; k < norder; k++) {
            long n = counts[order[k]] < self->body_cap ? counts[order[k]] : self->body_cap;
            add_row(add, self->body_rows[order[k]], (double)n / (double)self->body_cap * scale);
        }
        if (nwords) {
            double share = self->body_density / (double)nwords;
            for (Py_ssize_t k = 0; k < norder; k++) {
                double x = (double)counts[order[k]] * share;
                add_row(add, self->density_rows[order[k]], (1.0 < x ? 1.0 : x) * scale);
            }
        }
    }
    /* h: the heading's forms; k: whose harm it is (found by the caller) */
    for (Py_ssize_t i = 0; i < self->nforms; i++)
        if (pattern_search(&self->forms[i], hk, hd, 0, hn)) add_row(add, self->form_rows[i], scale);
    if (add_rows(add, kin_rows, count, scale) < 0) return -1;
    /* q: question marks in the heading and the post */
    Py_ssize_t marks = 0;
    for (Py_ssize_t i = 0; i < hn; i++)
        if (in_chars(self->question, self->nquestion, PyUnicode_READ(hk, hd, i))) {
            add_row(add, self->question_rows[0], scale);
            break;
        }
    for (Py_ssize_t i = 0; i < tn && marks < 2; i++)
        if (in_chars(self->question, self->nquestion, PyUnicode_READ(tk, td, i))) marks++;
    if (marks) add_row(add, self->question_rows[1], scale);
    if (marks >= 2) add_row(add, self->question_rows[2], scale);
    /* s: what the sentences do (analysis.post_type.sentence_features) */
    long counts[MAX_CUES] = {0};
    unsigned char present[MAX_CUES] = {0};
    Py_ssize_t order[MAX_CUES + 1], norder = 0, found = 0, asks = 0, i = 0;
    Py_ssize_t span[4][2] = {{0, 0}}; /* the second sentence, the one before last, the last */
    while (i < tn) {
        Py_UCS4 c = PyUnicode_READ(tk, td, i);
        if (is_end(c) || c == '\n') {
            i++;
            continue;
        }
        Py_ssize_t start = i;
        while (i < tn && !is_end(c = PyUnicode_READ(tk, td, i)) && c != '\n') i++;
        while (i < tn && is_end(PyUnicode_READ(tk, td, i))) i++;
        Py_ssize_t s = start, e = i;
        while (s < e && Py_UNICODE_ISSPACE(PyUnicode_READ(tk, td, s))) s++;
        while (e > s && Py_UNICODE_ISSPACE(PyUnicode_READ(tk, td, e - 1))) e--;
        if (s == e) continue;
        found++;
        if (search_all(self->asking, self->nasking, tk, td, s, e)) asks++;
        for (Py_ssize_t k = 0; k < self->nsentence; k++)
            if (pattern_search(&self->sentence[k], tk, td, s, e)) {
                if (!present[k]) {
                    present[k] = 1;
                    order[norder++] = k;
                }
                counts[k]++;
            }
        if (found == 2) span[0][0] = s, span[0][1] = e;
        span[1][0] = span[2][0], span[1][1] = span[2][1];
        span[2][0] = s, span[2][1] = e;
    }
    if (!found) return 0;
    Py_ssize_t ls = span[2][0], le = span[2][1];
    int courtesy = 0;
    if (found > 1) {
        Py_ssize_t kept = le;
        while (kept > ls && in_chars(self->ends, self->nends, PyUnicode_READ(tk, td, kept - 1))) kept--;
        if (kept - ls <= self->courtesy_chars && pattern_search(&self->courtesy, tk, td, ls, le)) {
            if (self->thanks >= 0) {
                if (!present[self->thanks]) {
                    present[self->thanks] = 1;
                    order[norder++] = self->thanks;
                }
                counts[self->thanks]--;
            }
            courtesy = 1;
            ls = span[1][0], le = span[1][1];
        }
    }
    long cap = self->sentence_cap;
    for (Py_ssize_t k = 0; k < norder; k++) {
        long n = counts[order[k]];
        if (n > 0) add_row(add, self->sentence_rows[order[k]], (double)(n < cap ? n : cap) / (double)cap * scale);
    }
    if (courtesy) add_row(add, self->courtesy_row, (double)(1 < cap ? 1 : cap) / (double)cap * scale);
    if (asks) {
        add_row(add, self->s_rows[0], (double)(asks < cap ? asks : cap) / (double)cap * scale);
        add_row(add, self->s_rows[1], (double)asks / (double)found * scale);
    }
    if (search_all(self->asking, self->nasking, tk, td, ls, le)) add_row(add, self->s_rows[2], 1.0 * scale);
    if (pattern_search(&self->sentence[self->request], tk, td, ls, le)) add_row(add, self->s_rows[3], 1.0 * scale);
    if (found > 1 && pattern_search(&self->sentence[self->me], tk, td, span[0][0], span[0][1]))
        add_row(add, self->s_rows[4], 1.0 * scale);
    return 0;
}

/* scores(bias, heading, text, words, heading_words, fact_rows, kin_rows, dense, word_index, body, heading_index)
 * -> list of floats: PostTypeModel.post_scores' class scores — bias + the named features (found here, in the
 * order of `found`) + the pooled vectors' scores + the post's distinct words' rows / √their number + the
 * heading's. `words` the post's words (a list), `heading_words` and `body` the sets of the heading's and the
 * post's words as the caller built them; fact_rows and kin_rows the rows of the facts and the kin features found. */
static PyObject *Cues_scores(Cues *self, PyObject *args) {
    PyObject *bias, *heading, *text, *words, *head, *fact_rows, *kin_rows, *dense, *word_index, *body, *heading_index;
    if (!PyArg_ParseTuple(args, "OUUO!O!O!O!OO&OO&", &bias, &heading, &text, &PyList_Type, &words, &PySet_Type, &head,
                          &PyTuple_Type, &fact_rows, &PyTuple_Type, &kin_rows, &dense, index_arg, &word_index, &body,
                          index_arg, &heading_index))
        return NULL;
    if (!self->held) {
        PyErr_SetString(PyExc_RuntimeError, "Cues not initialised");
        return NULL;
    }
    Rows *rows = self->rows;
    Py_ssize_t w = rows->width;
    double total[MAX_WIDTH], dot[MAX_WIDTH] = {0};
    if (read_bias(bias, w, total) < 0) return NULL;
    Adder add = {rows->data, w, dot};
    if (Cues_named(self, &add, heading, text, words, head, fact_rows, kin_rows) < 0) return NULL;
    return class_scores(rows, total, dot, dense, word_index, body, heading_index, head);
}

static PyMethodDef Cues_methods[] = {
    {"scores", (PyCFunction)Cues_scores, METH_VARARGS,
     "scores(bias, heading, text, words, heading_words, fact_rows, kin_rows, dense, word_index, body, heading_index)"
     " -> list: the post type's class scores"},
    {NULL, NULL, 0, NULL}};

static PyTypeObject CuesType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "store._judgec.Cues",
    .tp_basicsize = sizeof(Cues),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "Cues(rows, …): the post type's named features, found and scored in one pass",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)Cues_init,
    .tp_dealloc = (destructor)Cues_dealloc,
    .tp_methods = Cues_methods,
};

/* search(pattern, text) -> bool: a cue pattern (analysis.judgec.literals) searched in `text`, as Cues does. */
static PyObject *judgec_search(PyObject *module, PyObject *args) {
    PyObject *spec, *text;
    if (!PyArg_ParseTuple(args, "OU", &spec, &text)) return NULL;
    Pattern p;
    if (pattern_init(&p, spec) < 0) return NULL;
    int found = pattern_search(&p, PyUnicode_KIND(text), PyUnicode_DATA(text), 0, PyUnicode_GET_LENGTH(text));
    pattern_free(&p);
    return PyBool_FromLong(found);
}

static PyMethodDef module_methods[] = {
    {"search", judgec_search, METH_VARARGS, "search(pattern, text) -> bool: a cue pattern searched as Cues does"},
    {NULL, NULL, 0, NULL}};

static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "store._judgec", "the judgement's inner loops, compiled",
                                    -1, module_methods};

PyMODINIT_FUNC PyInit__judgec(void) {
    if (asking_words_ready() < 0 || PyType_Ready(&RowsType) < 0 || PyType_Ready(&PoolsType) < 0 ||
        PyType_Ready(&CuesType) < 0 || PyType_Ready(&IndexType) < 0)
        return NULL;
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
    Py_INCREF(&IndexType);
    if (PyModule_AddObject(m, "Index", (PyObject *)&IndexType) < 0) {
        Py_DECREF(&IndexType);
        Py_DECREF(m);
        return NULL;
    }
    Py_INCREF(&CuesType);
    if (PyModule_AddObject(m, "Cues", (PyObject *)&CuesType) < 0) {
        Py_DECREF(&CuesType);
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
