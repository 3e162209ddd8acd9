var __defProp = Object.defineProperty;
var __name = (target, value) => __defProp(target, "name", { value, configurable: true });

// ../pkg/workerd.js
import wasm2 from "./8abf5faad84428392d115e42874ad989c05ab761-cohort_sync_bg.wasm";

// ../pkg/dist/cohort_sync.js
var CohortStateHandle = class _CohortStateHandle {
  static {
    __name(this, "CohortStateHandle");
  }
  static __wrap(ptr) {
    const obj = Object.create(_CohortStateHandle.prototype);
    obj.__wbg_ptr = ptr;
    CohortStateHandleFinalization.register(obj, obj.__wbg_ptr, obj);
    return obj;
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    CohortStateHandleFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm.__wbg_cohortstatehandle_free(ptr, 0);
  }
  /**
   * A raw webhook body (string or bytes) or a page from `parsePayload`.
   * @param {any} page
   * @param {any} apply_options
   * @returns {string}
   */
  apply(page, apply_options) {
    let deferred2_0;
    let deferred2_1;
    try {
      const ret = wasm.cohortstatehandle_apply(this.__wbg_ptr, page, apply_options);
      var ptr1 = ret[0];
      var len1 = ret[1];
      if (ret[3]) {
        ptr1 = 0;
        len1 = 0;
        throw takeFromExternrefTable0(ret[2]);
      }
      deferred2_0 = ptr1;
      deferred2_1 = len1;
      return getStringFromWasm0(ptr1, len1);
    } finally {
      wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
    }
  }
  /**
   * @param {any} bytes
   * @param {number} seed_hi
   * @param {number} seed_lo
   * @returns {CohortStateHandle}
   */
  static fromBytes(bytes, seed_hi, seed_lo) {
    const ret = wasm.cohortstatehandle_fromBytes(bytes, seed_hi, seed_lo);
    if (ret[2]) {
      throw takeFromExternrefTable0(ret[1]);
    }
    return _CohortStateHandle.__wrap(ret[0]);
  }
  /**
   * `chunks`: an array of Uint8Arrays, in order.
   * @param {any} chunks
   * @param {number} seed_hi
   * @param {number} seed_lo
   * @returns {CohortStateHandle}
   */
  static fromChunks(chunks, seed_hi, seed_lo) {
    const ret = wasm.cohortstatehandle_fromChunks(chunks, seed_hi, seed_lo);
    if (ret[2]) {
      throw takeFromExternrefTable0(ret[1]);
    }
    return _CohortStateHandle.__wrap(ret[0]);
  }
  /**
   * @param {any} distinct_id
   * @returns {boolean}
   */
  has(distinct_id) {
    const ret = wasm.cohortstatehandle_has(this.__wbg_ptr, distinct_id);
    if (ret[2]) {
      throw takeFromExternrefTable0(ret[1]);
    }
    return ret[0] !== 0;
  }
  /**
   * @returns {string}
   */
  members() {
    let deferred2_0;
    let deferred2_1;
    try {
      const ret = wasm.cohortstatehandle_members(this.__wbg_ptr);
      var ptr1 = ret[0];
      var len1 = ret[1];
      if (ret[3]) {
        ptr1 = 0;
        len1 = 0;
        throw takeFromExternrefTable0(ret[2]);
      }
      deferred2_0 = ptr1;
      deferred2_1 = len1;
      return getStringFromWasm0(ptr1, len1);
    } finally {
      wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
    }
  }
  /**
   * @returns {number}
   */
  memoryBytes() {
    const ret = wasm.cohortstatehandle_memoryBytes(this.__wbg_ptr);
    return ret;
  }
  /**
   * @param {number} seed_hi
   * @param {number} seed_lo
   */
  constructor(seed_hi, seed_lo) {
    const ret = wasm.cohortstatehandle_new(seed_hi, seed_lo);
    this.__wbg_ptr = ret;
    CohortStateHandleFinalization.register(this, this.__wbg_ptr, this);
    return this;
  }
  /**
   * @returns {string | undefined}
   */
  pendingSession() {
    const ret = wasm.cohortstatehandle_pendingSession(this.__wbg_ptr);
    let v1;
    if (ret[0] !== 0) {
      v1 = getStringFromWasm0(ret[0], ret[1]);
      wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
    }
    return v1;
  }
  /**
   * @returns {number}
   */
  get size() {
    const ret = wasm.cohortstatehandle_size(this.__wbg_ptr);
    return ret;
  }
  /**
   * @returns {Uint8Array}
   */
  toBytes() {
    const ret = wasm.cohortstatehandle_toBytes(this.__wbg_ptr);
    var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
    wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
    return v1;
  }
  /**
   * @param {any} chunk_bytes
   * @returns {Array<any>}
   */
  toChunks(chunk_bytes) {
    const ret = wasm.cohortstatehandle_toChunks(this.__wbg_ptr, chunk_bytes);
    if (ret[2]) {
      throw takeFromExternrefTable0(ret[1]);
    }
    return takeFromExternrefTable0(ret[0]);
  }
};
if (Symbol.dispose) CohortStateHandle.prototype[Symbol.dispose] = CohortStateHandle.prototype.free;
var IdentityIndexHandle = class _IdentityIndexHandle {
  static {
    __name(this, "IdentityIndexHandle");
  }
  static __wrap(ptr) {
    const obj = Object.create(_IdentityIndexHandle.prototype);
    obj.__wbg_ptr = ptr;
    IdentityIndexHandleFinalization.register(obj, obj.__wbg_ptr, obj);
    return obj;
  }
  __destroy_into_raw() {
    const ptr = this.__wbg_ptr;
    this.__wbg_ptr = 0;
    IdentityIndexHandleFinalization.unregister(this);
    return ptr;
  }
  free() {
    const ptr = this.__destroy_into_raw();
    wasm.__wbg_identityindexhandle_free(ptr, 0);
  }
  /**
   * Adds every id of a JSON list; returns how many were new.
   * @param {Uint8Array | number[]} ids
   * @returns {number}
   */
  addAll(ids) {
    const ptr0 = passArray8ToWasm0(ids, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.identityindexhandle_addAll(this.__wbg_ptr, ptr0, len0);
    if (ret[2]) {
      throw takeFromExternrefTable0(ret[1]);
    }
    return ret[0];
  }
  /**
   * @param {any} id
   * @returns {boolean}
   */
  add(id) {
    const ret = wasm.identityindexhandle_add(this.__wbg_ptr, id);
    if (ret[2]) {
      throw takeFromExternrefTable0(ret[1]);
    }
    return ret[0] !== 0;
  }
  /**
   * @param {any} bytes
   * @param {number} seed_hi
   * @param {number} seed_lo
   * @returns {IdentityIndexHandle}
   */
  static fromBytes(bytes, seed_hi, seed_lo) {
    const ret = wasm.identityindexhandle_fromBytes(bytes, seed_hi, seed_lo);
    if (ret[2]) {
      throw takeFromExternrefTable0(ret[1]);
    }
    return _IdentityIndexHandle.__wrap(ret[0]);
  }
  /**
   * @param {any} id
   * @returns {boolean}
   */
  has(id) {
    const ret = wasm.identityindexhandle_has(this.__wbg_ptr, id);
    if (ret[2]) {
      throw takeFromExternrefTable0(ret[1]);
    }
    return ret[0] !== 0;
  }
  /**
   * @param {any} page
   * @param {any} rule
   * @returns {string}
   */
  matchMembers(page, rule) {
    let deferred2_0;
    let deferred2_1;
    try {
      const ret = wasm.identityindexhandle_matchMembers(this.__wbg_ptr, page, rule);
      var ptr1 = ret[0];
      var len1 = ret[1];
      if (ret[3]) {
        ptr1 = 0;
        len1 = 0;
        throw takeFromExternrefTable0(ret[2]);
      }
      deferred2_0 = ptr1;
      deferred2_1 = len1;
      return getStringFromWasm0(ptr1, len1);
    } finally {
      wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
    }
  }
  /**
   * @returns {number}
   */
  memoryBytes() {
    const ret = wasm.identityindexhandle_memoryBytes(this.__wbg_ptr);
    return ret;
  }
  /**
   * @param {number} seed_hi
   * @param {number} seed_lo
   */
  constructor(seed_hi, seed_lo) {
    const ret = wasm.identityindexhandle_new(seed_hi, seed_lo);
    this.__wbg_ptr = ret;
    IdentityIndexHandleFinalization.register(this, this.__wbg_ptr, this);
    return this;
  }
  /**
   * @returns {number}
   */
  get size() {
    const ret = wasm.identityindexhandle_size(this.__wbg_ptr);
    return ret;
  }
  /**
   * @returns {Uint8Array}
   */
  toBytes() {
    const ret = wasm.identityindexhandle_toBytes(this.__wbg_ptr);
    var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
    wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
    return v1;
  }
};
if (Symbol.dispose) IdentityIndexHandle.prototype[Symbol.dispose] = IdentityIndexHandle.prototype.free;
function audienceProperties(audiences, options) {
  let deferred3_0;
  let deferred3_1;
  try {
    const ptr0 = passArray8ToWasm0(audiences, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.audienceProperties(ptr0, len0, options);
    var ptr2 = ret[0];
    var len2 = ret[1];
    if (ret[3]) {
      ptr2 = 0;
      len2 = 0;
      throw takeFromExternrefTable0(ret[2]);
    }
    deferred3_0 = ptr2;
    deferred3_1 = len2;
    return getStringFromWasm0(ptr2, len2);
  } finally {
    wasm.__wbindgen_free(deferred3_0, deferred3_1, 1);
  }
}
__name(audienceProperties, "audienceProperties");
function brazeCohortChanges(page, options) {
  let deferred2_0;
  let deferred2_1;
  try {
    const ret = wasm.brazeCohortChanges(page, options);
    var ptr1 = ret[0];
    var len1 = ret[1];
    if (ret[3]) {
      ptr1 = 0;
      len1 = 0;
      throw takeFromExternrefTable0(ret[2]);
    }
    deferred2_0 = ptr1;
    deferred2_1 = len1;
    return getStringFromWasm0(ptr1, len1);
  } finally {
    wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
  }
}
__name(brazeCohortChanges, "brazeCohortChanges");
function cleverTapUploads(page, options) {
  const ret = wasm.cleverTapUploads(page, options);
  if (ret[2]) {
    throw takeFromExternrefTable0(ret[1]);
  }
  return takeFromExternrefTable0(ret[0]);
}
__name(cleverTapUploads, "cleverTapUploads");
function engageBatches(updates, options) {
  let deferred3_0;
  let deferred3_1;
  try {
    const ptr0 = passArray8ToWasm0(updates, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.engageBatches(ptr0, len0, options);
    var ptr2 = ret[0];
    var len2 = ret[1];
    if (ret[3]) {
      ptr2 = 0;
      len2 = 0;
      throw takeFromExternrefTable0(ret[2]);
    }
    deferred3_0 = ptr2;
    deferred3_1 = len2;
    return getStringFromWasm0(ptr2, len2);
  } finally {
    wasm.__wbindgen_free(deferred3_0, deferred3_1, 1);
  }
}
__name(engageBatches, "engageBatches");
function engageUrl(region) {
  let deferred2_0;
  let deferred2_1;
  try {
    const ret = wasm.engageUrl(region);
    var ptr1 = ret[0];
    var len1 = ret[1];
    if (ret[3]) {
      ptr1 = 0;
      len1 = 0;
      throw takeFromExternrefTable0(ret[2]);
    }
    deferred2_0 = ptr1;
    deferred2_1 = len1;
    return getStringFromWasm0(ptr1, len1);
  } finally {
    wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
  }
}
__name(engageUrl, "engageUrl");
function readCleverTapResponse(upload, status, body) {
  let deferred3_0;
  let deferred3_1;
  try {
    const ptr0 = passArray8ToWasm0(upload, wasm.__wbindgen_malloc);
    const len0 = WASM_VECTOR_LEN;
    const ret = wasm.readCleverTapResponse(ptr0, len0, status, body);
    var ptr2 = ret[0];
    var len2 = ret[1];
    if (ret[3]) {
      ptr2 = 0;
      len2 = 0;
      throw takeFromExternrefTable0(ret[2]);
    }
    deferred3_0 = ptr2;
    deferred3_1 = len2;
    return getStringFromWasm0(ptr2, len2);
  } finally {
    wasm.__wbindgen_free(deferred3_0, deferred3_1, 1);
  }
}
__name(readCleverTapResponse, "readCleverTapResponse");
function validatePayload(body, options) {
  let deferred2_0;
  let deferred2_1;
  try {
    const ret = wasm.validatePayload(body, options);
    var ptr1 = ret[0];
    var len1 = ret[1];
    if (ret[3]) {
      ptr1 = 0;
      len1 = 0;
      throw takeFromExternrefTable0(ret[2]);
    }
    deferred2_0 = ptr1;
    deferred2_1 = len1;
    return getStringFromWasm0(ptr1, len1);
  } finally {
    wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
  }
}
__name(validatePayload, "validatePayload");
function webhookResponse(action, error) {
  let deferred2_0;
  let deferred2_1;
  try {
    const ret = wasm.webhookResponse(action, error);
    var ptr1 = ret[0];
    var len1 = ret[1];
    if (ret[3]) {
      ptr1 = 0;
      len1 = 0;
      throw takeFromExternrefTable0(ret[2]);
    }
    deferred2_0 = ptr1;
    deferred2_1 = len1;
    return getStringFromWasm0(ptr1, len1);
  } finally {
    wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
  }
}
__name(webhookResponse, "webhookResponse");
function __wbg_get_imports() {
  const import0 = {
    __proto__: null,
    __wbg___wbindgen_boolean_get_4f1baf9a00be3c74: /* @__PURE__ */ __name(function(arg0) {
      const v = arg0;
      const ret = typeof v === "boolean" ? v : void 0;
      return isLikeNone(ret) ? 16777215 : ret ? 1 : 0;
    }, "__wbg___wbindgen_boolean_get_4f1baf9a00be3c74"),
    __wbg___wbindgen_is_null_c22311b1cc228e3a: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0 === null;
      return ret;
    }, "__wbg___wbindgen_is_null_c22311b1cc228e3a"),
    __wbg___wbindgen_is_object_8b968c3ab8e96595: /* @__PURE__ */ __name(function(arg0) {
      const val = arg0;
      const ret = typeof val === "object" && val !== null;
      return ret;
    }, "__wbg___wbindgen_is_object_8b968c3ab8e96595"),
    __wbg___wbindgen_is_undefined_be5b34249ff1fc15: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0 === void 0;
      return ret;
    }, "__wbg___wbindgen_is_undefined_be5b34249ff1fc15"),
    __wbg___wbindgen_number_get_934b640d0889af78: /* @__PURE__ */ __name(function(arg0, arg1) {
      const obj = arg1;
      const ret = typeof obj === "number" ? obj : void 0;
      getDataViewMemory0().setFloat64((arg0 >>> 0) + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, !isLikeNone(ret), true);
    }, "__wbg___wbindgen_number_get_934b640d0889af78"),
    __wbg___wbindgen_string_get_7ce8eee7fd327545: /* @__PURE__ */ __name(function(arg0, arg1) {
      const obj = arg1;
      const ret = typeof obj === "string" ? obj : void 0;
      var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      var len1 = WASM_VECTOR_LEN;
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
    }, "__wbg___wbindgen_string_get_7ce8eee7fd327545"),
    __wbg___wbindgen_throw_4c88d8bf264fd984: /* @__PURE__ */ __name(function(arg0, arg1) {
      throw new Error(getStringFromWasm0(arg0, arg1));
    }, "__wbg___wbindgen_throw_4c88d8bf264fd984"),
    __wbg___wbindgen_typeof_ee4990276e02f607: /* @__PURE__ */ __name(function(arg0) {
      const ret = typeof arg0;
      return ret;
    }, "__wbg___wbindgen_typeof_ee4990276e02f607"),
    __wbg_buffer_aca05a93c046db1a: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.buffer;
      return ret;
    }, "__wbg_buffer_aca05a93c046db1a"),
    __wbg_byteLength_c5f3c188d5252e5b: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.byteLength;
      return ret;
    }, "__wbg_byteLength_c5f3c188d5252e5b"),
    __wbg_byteOffset_63cdc7b38f33a45e: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.byteOffset;
      return ret;
    }, "__wbg_byteOffset_63cdc7b38f33a45e"),
    __wbg_error_757e9472f8410341: /* @__PURE__ */ __name(function(arg0, arg1) {
      let deferred0_0;
      let deferred0_1;
      try {
        deferred0_0 = arg0;
        deferred0_1 = arg1;
        console.error(getStringFromWasm0(arg0, arg1));
      } finally {
        wasm.__wbindgen_free(deferred0_0, deferred0_1, 1);
      }
    }, "__wbg_error_757e9472f8410341"),
    __wbg_from_eac91875c8a5ffa4: /* @__PURE__ */ __name(function(arg0) {
      const ret = Array.from(arg0);
      return ret;
    }, "__wbg_from_eac91875c8a5ffa4"),
    __wbg_get_2080c49015e35254: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = Reflect.get(arg0, arg1);
        return ret;
      }, arguments);
    }, "__wbg_get_2080c49015e35254"),
    __wbg_get_unchecked_e6325ad374eff861: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = arg0[arg1 >>> 0];
      return ret;
    }, "__wbg_get_unchecked_e6325ad374eff861"),
    __wbg_instanceof_ArrayBuffer_12cdaa4161423e6b: /* @__PURE__ */ __name(function(arg0) {
      let result;
      try {
        result = arg0 instanceof ArrayBuffer;
      } catch (_) {
        result = false;
      }
      const ret = result;
      return ret;
    }, "__wbg_instanceof_ArrayBuffer_12cdaa4161423e6b"),
    __wbg_isArray_bcf1376d0d732d08: /* @__PURE__ */ __name(function(arg0) {
      const ret = Array.isArray(arg0);
      return ret;
    }, "__wbg_isArray_bcf1376d0d732d08"),
    __wbg_isView_7c4f5a7c257b3a84: /* @__PURE__ */ __name(function(arg0) {
      const ret = ArrayBuffer.isView(arg0);
      return ret;
    }, "__wbg_isView_7c4f5a7c257b3a84"),
    __wbg_keys_105f5c0857898f84: /* @__PURE__ */ __name(function(arg0) {
      const ret = Object.keys(arg0);
      return ret;
    }, "__wbg_keys_105f5c0857898f84"),
    __wbg_length_186163212ffe79c3: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.length;
      return ret;
    }, "__wbg_length_186163212ffe79c3"),
    __wbg_length_b03a0fabb109b1e9: /* @__PURE__ */ __name(function(arg0) {
      const ret = arg0.length;
      return ret;
    }, "__wbg_length_b03a0fabb109b1e9"),
    __wbg_new_13de428334042d26: /* @__PURE__ */ __name(function(arg0) {
      const ret = new Uint8Array(arg0);
      return ret;
    }, "__wbg_new_13de428334042d26"),
    __wbg_new_37eb45aaf5eeb820: /* @__PURE__ */ __name(function() {
      const ret = new Array();
      return ret;
    }, "__wbg_new_37eb45aaf5eeb820"),
    __wbg_new_bb74001155cb8ca8: /* @__PURE__ */ __name(function() {
      const ret = new Error();
      return ret;
    }, "__wbg_new_bb74001155cb8ca8"),
    __wbg_new_from_slice_b8daf545a41c6aa0: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = new Uint8Array(getArrayU8FromWasm0(arg0, arg1));
      return ret;
    }, "__wbg_new_from_slice_b8daf545a41c6aa0"),
    __wbg_new_with_byte_offset_and_length_3cd32055a417f095: /* @__PURE__ */ __name(function(arg0, arg1, arg2) {
      const ret = new Uint8Array(arg0, arg1 >>> 0, arg2 >>> 0);
      return ret;
    }, "__wbg_new_with_byte_offset_and_length_3cd32055a417f095"),
    __wbg_now_463ac581d2fc7ea3: /* @__PURE__ */ __name(function() {
      const ret = Date.now();
      return ret;
    }, "__wbg_now_463ac581d2fc7ea3"),
    __wbg_parse_c3f72b5a24f83c01: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0, arg1) {
        const ret = JSON.parse(getStringFromWasm0(arg0, arg1));
        return ret;
      }, arguments);
    }, "__wbg_parse_c3f72b5a24f83c01"),
    __wbg_prototypesetcall_13162965d1fe7aa3: /* @__PURE__ */ __name(function(arg0, arg1, arg2) {
      Uint8Array.prototype.set.call(getArrayU8FromWasm0(arg0, arg1), arg2);
    }, "__wbg_prototypesetcall_13162965d1fe7aa3"),
    __wbg_push_c9f4893fc209f768: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = arg0.push(arg1);
      return ret;
    }, "__wbg_push_c9f4893fc209f768"),
    __wbg_stack_575c4e0918581b9c: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = arg1.stack;
      const ptr1 = passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
      const len1 = WASM_VECTOR_LEN;
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
      getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
    }, "__wbg_stack_575c4e0918581b9c"),
    __wbg_stringify_0a0fbf2ef722380a: /* @__PURE__ */ __name(function() {
      return handleError(function(arg0) {
        const ret = JSON.stringify(arg0);
        return ret;
      }, arguments);
    }, "__wbg_stringify_0a0fbf2ef722380a"),
    __wbindgen_generic_0000000000000001: /* @__PURE__ */ __name(function(arg0, arg1) {
      const ret = getStringFromWasm0(arg0, arg1);
      return ret;
    }, "__wbindgen_generic_0000000000000001"),
    __wbindgen_init_externref_table: /* @__PURE__ */ __name(function() {
      const table = wasm.__wbindgen_externrefs;
      table.set(0, void 0);
      table.set(1024, void 0);
      table.set(1025, null);
      table.set(1026, true);
      table.set(1027, false);
    }, "__wbindgen_init_externref_table")
  };
  return {
    __proto__: null,
    "./cohort_sync_bg.js": import0
  };
}
__name(__wbg_get_imports, "__wbg_get_imports");
var CohortStateHandleFinalization = typeof FinalizationRegistry === "undefined" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry((ptr) => wasm.__wbg_cohortstatehandle_free(ptr, 1));
var IdentityIndexHandleFinalization = typeof FinalizationRegistry === "undefined" ? { register: /* @__PURE__ */ __name(() => {
}, "register"), unregister: /* @__PURE__ */ __name(() => {
}, "unregister") } : new FinalizationRegistry((ptr) => wasm.__wbg_identityindexhandle_free(ptr, 1));
function addToExternrefTable0(obj) {
  const idx = wasm.__externref_table_alloc();
  wasm.__wbindgen_externrefs.set(idx, obj);
  return idx;
}
__name(addToExternrefTable0, "addToExternrefTable0");
function getArrayU8FromWasm0(ptr, len) {
  ptr = ptr >>> 0;
  return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}
__name(getArrayU8FromWasm0, "getArrayU8FromWasm0");
var cachedDataViewMemory0 = null;
function getDataViewMemory0() {
  if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || cachedDataViewMemory0.buffer.detached === void 0 && cachedDataViewMemory0.buffer !== wasm.memory.buffer) {
    cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
  }
  return cachedDataViewMemory0;
}
__name(getDataViewMemory0, "getDataViewMemory0");
function getStringFromWasm0(ptr, len) {
  ptr = ptr >>> 0;
  return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}
__name(getStringFromWasm0, "getStringFromWasm0");
var cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
  if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
    cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
  }
  return cachedUint8ArrayMemory0;
}
__name(getUint8ArrayMemory0, "getUint8ArrayMemory0");
function handleError(f, args) {
  try {
    return f.apply(this, args);
  } catch (e) {
    const idx = addToExternrefTable0(e);
    wasm.__wbindgen_exn_store(idx);
  }
}
__name(handleError, "handleError");
function isLikeNone(x) {
  return x === void 0 || x === null;
}
__name(isLikeNone, "isLikeNone");
function passArray8ToWasm0(arg, malloc) {
  const ptr = malloc(arg.length * 1, 1) >>> 0;
  getUint8ArrayMemory0().set(arg, ptr / 1);
  WASM_VECTOR_LEN = arg.length;
  return ptr;
}
__name(passArray8ToWasm0, "passArray8ToWasm0");
function passStringToWasm0(arg, malloc, realloc) {
  if (realloc === void 0) {
    const buf = cachedTextEncoder.encode(arg);
    const ptr2 = malloc(buf.length, 1) >>> 0;
    getUint8ArrayMemory0().subarray(ptr2, ptr2 + buf.length).set(buf);
    WASM_VECTOR_LEN = buf.length;
    return ptr2;
  }
  let len = arg.length;
  let ptr = malloc(len, 1) >>> 0;
  const mem = getUint8ArrayMemory0();
  let offset = 0;
  for (; offset < len; offset++) {
    const code = arg.charCodeAt(offset);
    if (code > 127) break;
    mem[ptr + offset] = code;
  }
  if (offset !== len) {
    if (offset !== 0) {
      arg = arg.slice(offset);
    }
    ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
    const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
    const ret = cachedTextEncoder.encodeInto(arg, view);
    offset += ret.written;
    ptr = realloc(ptr, len, offset, 1) >>> 0;
  }
  WASM_VECTOR_LEN = offset;
  return ptr;
}
__name(passStringToWasm0, "passStringToWasm0");
function takeFromExternrefTable0(idx) {
  const value = wasm.__wbindgen_externrefs.get(idx);
  wasm.__externref_table_dealloc(idx);
  return value;
}
__name(takeFromExternrefTable0, "takeFromExternrefTable0");
var cachedTextDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
cachedTextDecoder.decode();
var MAX_SAFARI_DECODE_BYTES = 2146435072;
var numBytesDecoded = 0;
function decodeText(bytes) {
  numBytesDecoded += bytes.length;
  if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
    cachedTextDecoder = new TextDecoder("utf-8", { ignoreBOM: true });
    cachedTextDecoder.decode();
    numBytesDecoded = bytes.length;
  }
  return cachedTextDecoder.decode(bytes);
}
__name(decodeText, "decodeText");
var cachedTextEncoder = new TextEncoder();
if (!("encodeInto" in cachedTextEncoder)) {
  cachedTextEncoder.encodeInto = function(arg, view) {
    const buf = cachedTextEncoder.encode(arg);
    view.set(buf);
    return {
      read: arg.length,
      written: buf.length
    };
  };
}
var WASM_VECTOR_LEN = 0;
var wasmModule;
var wasmInstance;
var wasm;
function __wbg_finalize_init(instance, module) {
  wasmInstance = instance;
  wasm = instance.exports;
  wasmModule = module;
  cachedDataViewMemory0 = null;
  cachedUint8ArrayMemory0 = null;
  wasm.__wbindgen_start();
  return wasm;
}
__name(__wbg_finalize_init, "__wbg_finalize_init");
function initSync(module) {
  if (wasm !== void 0) return wasm;
  if (module !== void 0) {
    if (Object.getPrototypeOf(module) === Object.prototype) {
      ({ module } = module);
    } else {
      console.warn("using deprecated parameters for `initSync()`; pass a single object instead");
    }
  }
  const imports = __wbg_get_imports();
  if (!(module instanceof WebAssembly.Module)) {
    module = new WebAssembly.Module(module);
  }
  const instance = new WebAssembly.Instance(module, imports);
  return __wbg_finalize_init(instance, module);
}
__name(initSync, "initSync");

// ../pkg/ready.js
var state = { ready: false };

// ../pkg/api.js
var CohortSyncError = class extends Error {
  static {
    __name(this, "CohortSyncError");
  }
  constructor(code, message, problems = [], options) {
    super(message, options);
    this.name = "CohortSyncError";
    this.code = code;
    this.problems = Array.isArray(problems) ? problems : [];
  }
};
function toError(thrown) {
  if (typeof thrown === "string") {
    try {
      const e = JSON.parse(thrown);
      if (e && typeof e.code === "string") {
        return new CohortSyncError(e.code, String(e.message ?? e.code), e.problems);
      }
    } catch {
    }
    return new CohortSyncError("internal_error", thrown);
  }
  if (thrown instanceof CohortSyncError) return thrown;
  if (thrown instanceof TypeError) {
    return new CohortSyncError("invalid_argument", thrown.message, [], { cause: thrown });
  }
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  return new CohortSyncError("internal_error", `cohort-sync failed internally: ${message}`, [], { cause: thrown });
}
__name(toError, "toError");
function call(fn, ...args) {
  if (!state.ready) {
    throw new CohortSyncError(
      "not_initialized",
      'the wasm module is not loaded yet: await init() from "cohort-sync/web" first'
    );
  }
  let out;
  try {
    out = fn(...args);
  } catch (thrown) {
    const error = toError(thrown);
    Error.captureStackTrace?.(error, call);
    throw error;
  }
  return JSON.parse(out);
}
__name(call, "call");
function validatePayload2(body, options) {
  return call(validatePayload, body, options);
}
__name(validatePayload2, "validatePayload");
function webhookResponse2(action, error) {
  return call(webhookResponse, action, error);
}
__name(webhookResponse2, "webhookResponse");
function callRaw(fn, ...args) {
  if (!state.ready) return call(fn, ...args);
  try {
    return fn(...args);
  } catch (thrown) {
    const error = toError(thrown);
    Error.captureStackTrace?.(error, callRaw);
    throw error;
  }
}
__name(callRaw, "callRaw");
var encoder = new TextEncoder();
function jsonList(value, name) {
  if (value === null || value === void 0 || typeof value === "string" || typeof value[Symbol.iterator] !== "function") {
    const got = value === null ? "null" : typeof value;
    throw new CohortSyncError("invalid_argument", `${name} must be an array or another iterable, got ${got}`);
  }
  let text;
  try {
    text = JSON.stringify(Array.isArray(value) ? value : Array.from(value));
  } catch (cause) {
    throw new CohortSyncError("invalid_argument", `${name} could not be read: ${cause?.message ?? cause}`, [], { cause });
  }
  return encoder.encode(text);
}
__name(jsonList, "jsonList");
function jsonValue(value, name) {
  let text;
  try {
    text = JSON.stringify(value);
  } catch (cause) {
    throw new CohortSyncError("invalid_argument", `${name} could not be read: ${cause?.message ?? cause}`, [], { cause });
  }
  if (text === void 0) throw new CohortSyncError("invalid_argument", `${name} is missing`);
  return encoder.encode(text);
}
__name(jsonValue, "jsonValue");
function cleverTapUploads2(page, options) {
  return callRaw(cleverTapUploads, page, options);
}
__name(cleverTapUploads2, "cleverTapUploads");
function readCleverTapResponse2(upload, status, body) {
  const sent = typeof upload === "string" ? encoder.encode(upload) : upload instanceof Uint8Array ? upload : jsonValue(upload, "upload");
  return call(() => readCleverTapResponse(sent, status, body));
}
__name(readCleverTapResponse2, "readCleverTapResponse");
function brazeCohortChanges2(page, options) {
  const { requests, skipped } = call(() => brazeCohortChanges(page, options));
  return Object.defineProperty(requests, "skipped", { value: skipped, enumerable: false });
}
__name(brazeCohortChanges2, "brazeCohortChanges");
function audienceProperties2(audiences, options) {
  return call(() => audienceProperties(jsonList(audiences, "audiences"), options));
}
__name(audienceProperties2, "audienceProperties");
function engageBatches2(updates, options) {
  return call(() => engageBatches(jsonList(updates, "updates"), options));
}
__name(engageBatches2, "engageBatches");
function engageUrl2(region) {
  return call(() => engageUrl(region));
}
__name(engageUrl2, "engageUrl");

// ../pkg/workerd.js
initSync({ module: wasm2 });
state.ready = true;

// src/auth.js
var encoder2 = new TextEncoder();
function authMode(env) {
  const user = env.WEBHOOK_USERNAME ?? "";
  const password = env.WEBHOOK_PASSWORD ?? "";
  if (user !== "" || password !== "") return { kind: "basic", user, password };
  if (String(env.ALLOW_UNAUTHENTICATED).toLowerCase() === "true") return { kind: "open" };
  return { kind: "closed" };
}
__name(authMode, "authMode");
async function refusal(request, env) {
  const mode = authMode(env);
  if (mode.kind === "open") return null;
  if (mode.kind === "closed") {
    return "the webhook has no credentials configured (set WEBHOOK_USERNAME and WEBHOOK_PASSWORD)";
  }
  const header = request.headers.get("authorization");
  if (header === null) return "missing HTTP Basic credentials";
  const match = /^Basic[ ]+([A-Za-z0-9+/]+={0,2})[ ]*$/i.exec(header);
  if (!match) return "malformed Authorization header: expected Basic <base64 of user:password>";
  let decoded;
  try {
    decoded = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(match[1]), (c) => c.charCodeAt(0)));
  } catch {
    return "malformed Authorization header: the credentials are not base64 of UTF-8 text";
  }
  const colon = decoded.indexOf(":");
  if (colon < 0) return "malformed Authorization header: no ':' between user and password";
  const [given, expected] = await Promise.all([
    digest(`${decoded.slice(0, colon)}\0${decoded.slice(colon + 1)}`),
    digest(`${mode.user}\0${mode.password}`)
  ]);
  return equalInConstantTime(given, expected) ? null : "wrong credentials";
}
__name(refusal, "refusal");
async function digest(text) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder2.encode(text)));
}
__name(digest, "digest");
function equalInConstantTime(a, b) {
  if (typeof crypto.subtle.timingSafeEqual === "function") return crypto.subtle.timingSafeEqual(a, b);
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}
__name(equalInConstantTime, "equalInConstantTime");

// src/body.js
var TooLarge = class extends Error {
  static {
    __name(this, "TooLarge");
  }
};
async function readLimited(request, max) {
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > max) throw new TooLarge();
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const parts = [];
  let length = 0;
  for (; ; ) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > max) {
      await reader.cancel();
      throw new TooLarge();
    }
    parts.push(value);
  }
  if (parts.length === 1) return parts[0];
  const bytes = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    bytes.set(part, at);
    at += part.byteLength;
  }
  return bytes;
}
__name(readLimited, "readLimited");

// src/cohort.js
import { DurableObject } from "cloudflare:workers";

// src/outbox.js
var OUTBOX_SCHEMA = `
CREATE TABLE IF NOT EXISTS outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, dest TEXT NOT NULL, request TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_dest ON outbox (dest, seq);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY, dest TEXT NOT NULL, request TEXT NOT NULL,
  attempts INTEGER NOT NULL, failed_at INTEGER NOT NULL, error TEXT
);
`;
var SENDS_PER_RUN = 50;
var Outbox = class {
  static {
    __name(this, "Outbox");
  }
  constructor(ctx, { name, baseDelayMs = 1e3, maxDelayMs = 3e5 }) {
    this.ctx = ctx;
    this.sql = ctx.storage.sql;
    this.name = name;
    this.baseDelayMs = baseDelayMs;
    this.maxDelayMs = maxDelayMs;
  }
  /** Queues a request (`{ url, headers, body }` or any JSON for an RPC destination). */
  add(dest, request) {
    this.sql.exec("INSERT INTO outbox (dest, request, next_at) VALUES (?, ?, ?)", dest, JSON.stringify(request), Date.now());
  }
  counts() {
    const pending = this.sql.exec("SELECT count(*) AS n FROM outbox").one().n;
    const dead = this.sql.exec("SELECT count(*) AS n FROM dead_letters").one().n;
    return { pending, dead };
  }
  /** Sets the alarm for the earliest due row (never later than an alarm already set). */
  async schedule() {
    const next = this.sql.exec("SELECT min(next_at) AS at FROM outbox").one().at;
    if (next === null) return;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > next) await this.ctx.storage.setAlarm(next);
  }
  /**
   * Sends due rows, each destination in order. `send(dest, request, key)` resolves to
   * `{ ok: true }`, `{ retry: reason, request? }` (optionally what is left to send) or
   * `{ dead: reason }`; a throw counts as a retry.
   */
  async deliver(send2) {
    let sent = 0;
    const dests = this.sql.exec("SELECT DISTINCT dest FROM outbox").toArray().map((r) => r.dest);
    for (const dest of dests) {
      while (sent < SENDS_PER_RUN) {
        const head = this.sql.exec("SELECT * FROM outbox WHERE dest = ? ORDER BY seq LIMIT 1", dest).toArray()[0];
        if (!head || head.next_at > Date.now()) break;
        sent++;
        let result;
        try {
          result = await send2(dest, JSON.parse(head.request), `${this.name}:${head.seq}`);
        } catch (error) {
          result = { retry: String(error?.message ?? error) };
        }
        if (result.ok) {
          this.sql.exec("DELETE FROM outbox WHERE seq = ?", head.seq);
        } else if (result.dead !== void 0) {
          this.ctx.storage.transactionSync(() => {
            this.sql.exec(
              "INSERT OR REPLACE INTO dead_letters (seq, dest, request, attempts, failed_at, error) VALUES (?, ?, ?, ?, ?, ?)",
              head.seq,
              dest,
              head.request,
              head.attempts + 1,
              Date.now(),
              String(result.dead)
            );
            this.sql.exec("DELETE FROM outbox WHERE seq = ?", head.seq);
          });
        } else {
          const attempts = head.attempts + 1;
          const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(attempts - 1, 30));
          this.sql.exec(
            "UPDATE outbox SET attempts = ?, next_at = ?, last_error = ?, request = ? WHERE seq = ?",
            attempts,
            Date.now() + delay,
            String(result.retry),
            result.request ? JSON.stringify(result.request) : head.request,
            head.seq
          );
          break;
        }
      }
    }
    await this.schedule();
  }
};
function byStatus(status, text) {
  if (status >= 200 && status < 300) return { ok: true };
  const reason = `HTTP ${status}: ${String(text).slice(0, 200)}`;
  if (status === 408 || status === 429 || status >= 500) return { retry: reason };
  return { dead: reason };
}
__name(byStatus, "byStatus");

// src/forward.js
var CLEVERTAP_DEFAULT_URL = "https://api.clevertap.com/1/upload";
function destinations(env) {
  const on = [];
  if (env.CLEVERTAP_ACCOUNT_ID && env.CLEVERTAP_PASSCODE) on.push("clevertap");
  if (env.BRAZE_API_KEY && env.BRAZE_COHORT_URL) on.push("braze");
  if (env.MIXPANEL_TOKEN) on.push("profiles");
  return on;
}
__name(destinations, "destinations");
function changeBody(action, cohort, members) {
  return JSON.stringify({
    action,
    parameters: {
      mixpanel_project_id: cohort.projectId,
      mixpanel_cohort_id: cohort.cohortId,
      mixpanel_cohort_name: cohort.cohortName ?? "",
      mixpanel_cohort_description: "",
      mixpanel_session_id: cohort.sessionId,
      page_info: { page_count: 1, total_pages: 1 },
      members
    }
  });
}
__name(changeBody, "changeBody");
function changeRequests(env, cohort, added, removed) {
  const entries = [];
  const dests = destinations(env);
  if (dests.length === 0) return entries;
  const member = /* @__PURE__ */ __name(([id, data]) => data ? JSON.parse(data) : { mixpanel_distinct_id: id }, "member");
  for (const [action, changes] of [["add_members", added], ["remove_members", removed]]) {
    for (let i = 0; i < changes.length; i += 1e3) {
      const chunk = changes.slice(i, i + 1e3);
      const body = changeBody(action, cohort, chunk.map(member));
      if (dests.includes("clevertap")) {
        const headers = {
          "content-type": "application/json",
          "x-clevertap-account-id": env.CLEVERTAP_ACCOUNT_ID,
          "x-clevertap-passcode": env.CLEVERTAP_PASSCODE
        };
        for (const upload of cleverTapUploads2(body, { format: "json" })) {
          entries.push(["clevertap", { url: env.CLEVERTAP_UPLOAD_URL || CLEVERTAP_DEFAULT_URL, headers, body: upload }]);
        }
      }
      if (dests.includes("braze")) {
        const options = {
          userIdProperty: env.BRAZE_USER_ID_PROPERTY || null,
          simplifiedIdMerge: String(env.BRAZE_SIMPLIFIED_ID_MERGE).toLowerCase() === "true"
        };
        const requests = brazeCohortChanges2(body, options);
        if (requests.skipped.length > 0) {
          console.warn(`cohort-sync: ${requests.skipped.length} members have no Braze user id; not sent`);
        }
        const headers = { "content-type": "application/json", authorization: `Bearer ${env.BRAZE_API_KEY}` };
        for (const request of requests) {
          entries.push(["braze", { url: env.BRAZE_COHORT_URL, headers, body: JSON.stringify(request) }]);
        }
      }
      if (dests.includes("profiles")) {
        entries.push(["profiles", {
          cohortId: cohort.cohortId,
          cohortName: cohort.cohortName ?? "",
          member: action === "add_members",
          ids: chunk.map(([id]) => id)
        }]);
      }
    }
  }
  return entries;
}
__name(changeRequests, "changeRequests");
async function send(env, dest, request, key) {
  if (dest === "profiles") {
    await env.PROFILES.get(env.PROFILES.idFromName("profiles")).record(key, request);
    return { ok: true };
  }
  const response = await fetch(request.url, {
    method: "POST",
    headers: { ...request.headers, "idempotency-key": key },
    body: request.body
  });
  const text = await response.text();
  if (dest === "clevertap") {
    const outcome = readCleverTapResponse2(request.body, response.status, text);
    if (outcome.failed.length > 0) console.warn(`cohort-sync: CleverTap refused ${outcome.failed.length} records`, JSON.stringify(outcome.failed.slice(0, 3)));
    if (outcome.retry.length > 0) {
      return { retry: `CleverTap: ${outcome.retry.length} records to retry (HTTP ${response.status})`, request: { ...request, body: JSON.stringify({ d: outcome.retry }) } };
    }
    if (outcome.delivered === 0 && outcome.failed.length > 0) return { dead: `CleverTap refused every record (HTTP ${response.status})` };
    return { ok: true };
  }
  if (dest === "mixpanel") {
    if (response.ok && !/^\s*(1|\{"status":\s*1.*)\s*$/.test(text)) return { dead: `Mixpanel: ${text.slice(0, 200)}` };
  }
  return byStatus(response.status, text);
}
__name(send, "send");

// src/store.js
var REMEMBERED_SESSIONS = 64;
var SCHEMA = `
CREATE TABLE IF NOT EXISTS members (id TEXT PRIMARY KEY, mark INTEGER NOT NULL, data TEXT) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS members_by_mark ON members (mark);
CREATE TABLE IF NOT EXISTS sessions (
  sid TEXT NOT NULL, action TEXT NOT NULL, total INTEGER NOT NULL,
  replaced INTEGER NOT NULL DEFAULT 0, touched INTEGER NOT NULL,
  PRIMARY KEY (sid, action)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS session_pages (
  sid TEXT NOT NULL, action TEXT NOT NULL, page INTEGER NOT NULL,
  PRIMARY KEY (sid, action, page)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
`;
var MembershipStore = class {
  static {
    __name(this, "MembershipStore");
  }
  constructor(sql) {
    this.sql = sql;
  }
  meta(key) {
    const row = this.sql.exec("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
    return row ? JSON.parse(row.value) : null;
  }
  setMeta(key, value) {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", key, JSON.stringify(value));
  }
  /**
   * Applies one validated page: `{ action, sessionId, page, total, members }` where
   * `members` are `[id, data]` (data: the member's JSON text, or null when not kept).
   * Returns `{ added, removed, duplicate, sessionComplete }`; `added`/`removed` are
   * `[id, data]` pairs of the real changes.
   */
  apply({ action, sessionId, page, total, members }) {
    const outcome = { added: [], removed: [], duplicate: false, sessionComplete: false };
    let fullSync = this.meta("fullSync");
    if (action === "members" && fullSync && fullSync.sid === sessionId && fullSync.total !== total) {
      fullSync = this.startOrJoin(fullSync, sessionId, total);
    }
    this.sql.exec("DELETE FROM sessions WHERE sid = ? AND action = ? AND replaced = 0 AND total != ?", sessionId, action, total);
    const seen = this.sql.exec("SELECT replaced FROM sessions WHERE sid = ? AND action = ?", sessionId, action).toArray()[0];
    if (seen) {
      const replayed = seen.replaced === 1 || this.sql.exec("SELECT 1 FROM session_pages WHERE sid = ? AND action = ? AND page = ?", sessionId, action, page).toArray().length > 0;
      if (replayed) {
        outcome.duplicate = true;
        return outcome;
      }
    } else {
      this.sql.exec("DELETE FROM session_pages WHERE sid = ? AND action = ?", sessionId, action);
    }
    if (action === "add_members") {
      outcome.added = this.addListed(members, fullSync);
    } else if (action === "remove_members") {
      outcome.removed = this.sql.exec("DELETE FROM members WHERE id IN (SELECT value FROM json_each(?)) RETURNING id, data", JSON.stringify(members.map(([id]) => id))).toArray().map((r) => [r.id, r.data]);
    } else {
      fullSync = this.startOrJoin(fullSync, sessionId, total);
      outcome.added = this.addListed(members, fullSync);
    }
    this.remember(sessionId, action, page, total);
    if (action === "members") {
      const done = this.sql.exec("SELECT count(*) AS n FROM session_pages WHERE sid = ? AND action = 'members'", sessionId).one().n;
      if (done >= total) {
        outcome.removed = this.sweep(fullSync);
        outcome.sessionComplete = true;
        fullSync = null;
      }
      this.setMeta("fullSync", fullSync);
    }
    const size = (this.meta("size") ?? 0) + outcome.added.length - outcome.removed.length;
    this.setMeta("size", size);
    this.setMeta("updatedAt", (/* @__PURE__ */ new Date()).toISOString());
    this.setMeta("sessionId", sessionId);
    return outcome;
  }
  /** Makes `sid` the full sync under way (a new one replaces an unfinished one). */
  startOrJoin(fullSync, sid, total) {
    if (fullSync && fullSync.sid === sid && fullSync.total === total) return fullSync;
    if (fullSync && fullSync.sid !== sid) {
      this.sql.exec("UPDATE sessions SET replaced = 1 WHERE sid = ? AND action = 'members'", fullSync.sid);
    }
    const seq = (this.meta("markSeq") ?? 0) + 1;
    this.setMeta("markSeq", seq);
    this.sql.exec("DELETE FROM sessions WHERE sid = ? AND action = 'members'", sid);
    this.sql.exec("DELETE FROM session_pages WHERE sid = ? AND action = 'members'", sid);
    const started = { sid, total, seq };
    this.setMeta("fullSync", started);
    return started;
  }
  /** Adds a page's members, marking them for the sweep while a full sync is under way. */
  addListed(members, fullSync) {
    const rows = JSON.stringify(members);
    const added = this.sql.exec(
      `SELECT DISTINCT value ->> 0 AS id FROM json_each(?) WHERE (value ->> 0) NOT IN (SELECT id FROM members)`,
      rows
    ).toArray().map((r) => r.id);
    this.sql.exec(
      `INSERT INTO members (id, mark, data) SELECT value ->> 0, ?, value ->> 1 FROM json_each(?) WHERE true
       ON CONFLICT (id) DO UPDATE SET mark = max(mark, excluded.mark), data = coalesce(excluded.data, data)`,
      fullSync ? fullSync.seq : 0,
      rows
    );
    if (added.length === 0) return [];
    const data = new Map(members);
    return added.map((id) => [id, data.get(id) ?? null]);
  }
  /** Ends the full sync: members no page of it listed leave. */
  sweep(fullSync) {
    if (!fullSync) return [];
    return this.sql.exec("DELETE FROM members WHERE mark < ? RETURNING id, data", fullSync.seq).toArray().map((r) => [r.id, r.data]);
  }
  remember(sid, action, page, total) {
    const now = Date.now();
    this.sql.exec(
      "INSERT INTO sessions (sid, action, total, touched) VALUES (?, ?, ?, ?) ON CONFLICT (sid, action) DO UPDATE SET touched = excluded.touched",
      sid,
      action,
      total,
      now
    );
    this.sql.exec("INSERT OR IGNORE INTO session_pages (sid, action, page) VALUES (?, ?, ?)", sid, action, page);
    const count = this.sql.exec("SELECT count(*) AS n FROM sessions").one().n;
    if (count > REMEMBERED_SESSIONS) {
      const old = this.sql.exec("SELECT sid, action FROM sessions ORDER BY touched ASC LIMIT ?", count - REMEMBERED_SESSIONS).toArray();
      for (const { sid: s, action: a } of old) {
        this.sql.exec("DELETE FROM sessions WHERE sid = ? AND action = ?", s, a);
        this.sql.exec("DELETE FROM session_pages WHERE sid = ? AND action = ?", s, a);
      }
    }
  }
  has(id) {
    return this.sql.exec("SELECT 1 FROM members WHERE id = ?", id).toArray().length > 0;
  }
  /** Members in id order after `after` (exclusive). */
  list(limit, after) {
    const rows = after === null ? this.sql.exec("SELECT id FROM members ORDER BY id LIMIT ?", limit + 1).toArray() : this.sql.exec("SELECT id FROM members WHERE id > ? ORDER BY id LIMIT ?", after, limit + 1).toArray();
    const more = rows.length > limit;
    const members = rows.slice(0, limit).map((r) => r.id);
    return { members, last: more ? members[members.length - 1] : null };
  }
};

// src/cohort.js
var decoder = new TextDecoder();
var CohortObject = class extends DurableObject {
  static {
    __name(this, "CohortObject");
  }
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA + OUTBOX_SCHEMA);
    this.store = new MembershipStore(ctx.storage.sql);
    this.outbox = new Outbox(ctx, {
      name: `cohort:${ctx.id.toString().slice(0, 16)}`,
      baseDelayMs: Number(env.FORWARD_RETRY_BASE_MS) || void 0,
      maxDelayMs: Number(env.FORWARD_RETRY_MAX_MS) || void 0
    });
  }
  /**
   * Applies a webhook body the Worker has validated. Returns the outcome in counts
   * (the changed ids stay here: they go to the outbox).
   */
  async apply(bytes) {
    if (this.env.FAULT_INJECTION === "true") await this.injectFault("apply");
    const { action, parameters: p } = JSON.parse(decoder.decode(bytes));
    const forwarding = destinations(this.env).length > 0;
    const members = p.members.map((m) => [m.mixpanel_distinct_id, forwarding ? JSON.stringify(m) : null]);
    const outcome = this.ctx.storage.transactionSync(() => {
      const result = this.store.apply({
        action,
        sessionId: p.mixpanel_session_id,
        page: p.page_info.page_count,
        total: p.page_info.total_pages,
        members
      });
      this.store.setMeta("cohort", { projectId: p.mixpanel_project_id, cohortId: p.mixpanel_cohort_id, cohortName: p.mixpanel_cohort_name ?? null });
      if (!result.duplicate && forwarding) {
        const cohort = { projectId: p.mixpanel_project_id, cohortId: p.mixpanel_cohort_id, cohortName: p.mixpanel_cohort_name, sessionId: p.mixpanel_session_id };
        for (const [dest, request] of changeRequests(this.env, cohort, result.added, result.removed)) this.outbox.add(dest, request);
      }
      if (this.env.FAULT_INJECTION === "true" && this.fault === "fail-in-transaction") throw new Error("injected: storage failed mid-apply");
      return result;
    });
    if (forwarding) await this.outbox.schedule();
    return {
      added: outcome.added.length,
      removed: outcome.removed.length,
      duplicate: outcome.duplicate,
      sessionComplete: outcome.sessionComplete,
      size: this.store.meta("size") ?? 0
    };
  }
  /** `null` for a cohort never synced here. */
  info() {
    const updatedAt = this.store.meta("updatedAt");
    if (updatedAt === null) return null;
    const fullSync = this.store.meta("fullSync");
    return {
      size: this.store.meta("size") ?? 0,
      sessionId: this.store.meta("sessionId"),
      updatedAt,
      cohortName: this.store.meta("cohort")?.cohortName ?? null,
      pendingSession: fullSync ? { sessionId: fullSync.sid, totalPages: fullSync.total } : null,
      outbox: this.outbox.counts()
    };
  }
  has(id) {
    return this.store.has(id);
  }
  /** A page of members in id order; the cursor is the last id, base64url. `null`: bad cursor. */
  list(limit, cursor) {
    let after = null;
    if (cursor !== null) {
      try {
        after = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(atob(cursor.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));
      } catch {
        return null;
      }
    }
    const { members, last } = this.store.list(limit, after);
    return { members, cursor: last === null ? null : toBase64Url(last) };
  }
  async alarm() {
    await this.outbox.deliver((dest, request, key) => send(this.env, dest, request, key));
  }
  /** Test-only faults, switched on by FAULT_INJECTION = "true" and set by `setFault`. */
  async injectFault(where) {
    if (this.fault === "fail-before-apply" && where === "apply") throw new Error("injected: storage unavailable");
  }
  setFault(fault) {
    if (this.env.FAULT_INJECTION !== "true") throw new Error("fault injection is off");
    this.fault = fault;
  }
};
function toBase64Url(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
__name(toBase64Url, "toBase64Url");

// src/profiles.js
import { DurableObject as DurableObject2 } from "cloudflare:workers";
var SCHEMA2 = `
CREATE TABLE IF NOT EXISTS memberships (distinct_id TEXT NOT NULL, cohort_id TEXT NOT NULL, name TEXT NOT NULL, PRIMARY KEY (distinct_id, cohort_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS received (key TEXT PRIMARY KEY, at INTEGER NOT NULL) WITHOUT ROWID;
`;
var encodable = /* @__PURE__ */ __name((id) => id !== "" && !/[',]/.test(id), "encodable");
var ProfilesObject = class extends DurableObject2 {
  static {
    __name(this, "ProfilesObject");
  }
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec(SCHEMA2 + OUTBOX_SCHEMA);
    this.sql = ctx.storage.sql;
    this.outbox = new Outbox(ctx, {
      name: "profiles",
      baseDelayMs: Number(env.FORWARD_RETRY_BASE_MS) || void 0,
      maxDelayMs: Number(env.FORWARD_RETRY_MAX_MS) || void 0
    });
  }
  /** One cohort change (`{ cohortId, cohortName, member, ids }`), once per `key`. */
  async record(key, { cohortId, cohortName, member, ids }) {
    if (!encodable(cohortId)) {
      console.warn(`cohort-sync: cohort id ${JSON.stringify(cohortId)} cannot go into SegmentMembership; skipped`);
      return;
    }
    this.ctx.storage.transactionSync(() => {
      if (this.sql.exec("SELECT 1 FROM received WHERE key = ?", key).toArray().length > 0) return;
      this.sql.exec("INSERT INTO received (key, at) VALUES (?, ?)", key, Date.now());
      const updates = [];
      for (const id of ids) {
        if (member) this.sql.exec("INSERT OR REPLACE INTO memberships VALUES (?, ?, ?)", id, cohortId, cohortName);
        else this.sql.exec("DELETE FROM memberships WHERE distinct_id = ? AND cohort_id = ?", id, cohortId);
        const audiences = this.sql.exec("SELECT cohort_id AS id, name FROM memberships WHERE distinct_id = ? ORDER BY cohort_id", id).toArray().map((a) => ({ id: a.id, name: a.name, member: true }));
        if (!member) audiences.push({ id: cohortId, name: cohortName, member: false });
        const perAudience = String(this.env.MIXPANEL_PER_AUDIENCE).toLowerCase() === "true";
        updates.push({ distinctId: id, properties: audienceProperties2(audiences, { perAudience }) });
      }
      const url = this.env.MIXPANEL_ENGAGE_URL || engageUrl2(this.env.MIXPANEL_REGION === "eu" ? "eu" : "us");
      for (const body of engageBatches2(updates, { token: this.env.MIXPANEL_TOKEN })) {
        this.outbox.add("mixpanel", { url, headers: { "content-type": "application/json", accept: "text/plain" }, body });
      }
    });
    await this.outbox.schedule();
  }
  /** Who is in which cohort, for one user (the read side of the tests and of debugging). */
  audiences(distinctId) {
    return this.sql.exec("SELECT cohort_id AS id, name FROM memberships WHERE distinct_id = ? ORDER BY cohort_id", distinctId).toArray();
  }
  counts() {
    return this.outbox.counts();
  }
  async alarm() {
    await this.outbox.deliver((dest, request, key) => send(this.env, dest, request, key));
  }
};

// src/index.js
var DEFAULT_MAX_BODY = 10 * 1024 * 1024;
var ACTIONS = /* @__PURE__ */ new Set(["members", "add_members", "remove_members"]);
var index_default = {
  async fetch(request, env) {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/webhook") {
        if (request.method !== "POST") return json(405, { error: { message: "POST a webhook body here", code: 405 } }, { allow: "POST" });
        return await webhook(request, env);
      }
      const route = /^\/cohorts\/([^/]+)(?:\/members(?:\/([^/]+))?)?\/?$/.exec(url.pathname);
      if (route) {
        if (request.method !== "GET") return json(405, { error: { message: "only GET here", code: 405 } }, { allow: "GET" });
        const why = await refusal(request, env);
        if (why) return json(401, { error: { message: why, code: 401 } }, challenge());
        return await read(url, route, env);
      }
      return json(404, { error: { message: `no route for ${request.method} ${url.pathname}`, code: 404 } });
    } catch (error) {
      console.error("cohort-sync: request failed", error?.stack ?? error);
      return mixpanelAnswer(null, { code: 503, message: "the webhook could not store this page; it will be retried" });
    }
  }
};
async function webhook(request, env) {
  const max = positiveInt(env.MAX_BODY_BYTES, DEFAULT_MAX_BODY);
  let bytes;
  try {
    bytes = await readLimited(request, max);
  } catch (error) {
    if (error instanceof TooLarge) {
      return mixpanelAnswer(null, { code: 413, message: `the body is over ${max} bytes` });
    }
    throw error;
  }
  const why = await refusal(request, env);
  if (why) {
    return mixpanelAnswer(peekAction(bytes), { code: 401, message: why }, challenge());
  }
  const report = validatePayload2(bytes, { maxBytes: max });
  const action = ACTIONS.has(report.action) ? report.action : null;
  if (!report.valid) {
    return mixpanelAnswer(action, { code: 400, message: describeProblems(report.errors) });
  }
  const accepted = String(env.ACCEPT_COHORTS ?? "").split(",").map((s) => s.trim()).filter(Boolean);
  if (accepted.length > 0 && !accepted.includes(report.cohortId)) {
    return mixpanelAnswer(action, { code: 404, message: `cohort ${report.cohortId} is not synced to this endpoint` });
  }
  const cohort = env.COHORTS.get(env.COHORTS.idFromName(report.cohortId));
  await cohort.apply(bytes);
  return mixpanelAnswer(action, null);
}
__name(webhook, "webhook");
async function read(url, [, rawCohort, rawMember], env) {
  const cohortId = decode(rawCohort);
  const memberId = rawMember === void 0 ? void 0 : decode(rawMember);
  if (cohortId === null || memberId === null) return json(400, { error: { message: "bad percent-encoding in the path", code: 400 } });
  const cohort = env.COHORTS.get(env.COHORTS.idFromName(cohortId));
  const info = await cohort.info();
  if (info === null) return json(404, { error: { message: `no cohort ${cohortId} has been synced here`, code: 404 } });
  if (memberId !== void 0) {
    const member = await cohort.has(memberId);
    return json(member ? 200 : 404, { member });
  }
  if (url.pathname.replace(/\/$/, "").endsWith("/members")) {
    const limitText = url.searchParams.get("limit");
    const limit = limitText === null ? 100 : Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1e3) {
      return json(400, { error: { message: "limit must be a whole number from 1 to 1000", code: 400 } });
    }
    const page = await cohort.list(limit, url.searchParams.get("cursor"));
    if (page === null) return json(400, { error: { message: "cursor is not one this API gave out", code: 400 } });
    return json(200, page);
  }
  return json(200, { cohortId, ...info });
}
__name(read, "read");
function mixpanelAnswer(action, error, extraHeaders = {}) {
  const { status, headers, body } = webhookResponse2(action, error);
  return new Response(body, { status, headers: { ...headers, ...extraHeaders } });
}
__name(mixpanelAnswer, "mixpanelAnswer");
function json(status, value, extraHeaders = {}) {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json", ...extraHeaders } });
}
__name(json, "json");
var challenge = /* @__PURE__ */ __name(() => ({ "www-authenticate": 'Basic realm="cohort-sync", charset="UTF-8"' }), "challenge");
function describeProblems(errors) {
  const shown = errors.slice(0, 5).map((p) => `${p.code} at ${p.path || "/"}${p.line ? ` (${p.line}:${p.column})` : ""}: ${p.message}`);
  const more = errors.length > 5 ? `; and ${errors.length - 5} more` : "";
  return `invalid payload: ${shown.join("; ")}${more}`;
}
__name(describeProblems, "describeProblems");
function peekAction(bytes) {
  const head = new TextDecoder().decode(bytes.subarray(0, 256));
  const found = /"action"\s*:\s*"(members|add_members|remove_members)"/.exec(head);
  return found ? found[1] : null;
}
__name(peekAction, "peekAction");
function decode(segment) {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}
__name(decode, "decode");
function positiveInt(text, fallback) {
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : fallback;
}
__name(positiveInt, "positiveInt");
export {
  CohortObject,
  ProfilesObject,
  index_default as default
};
//# sourceMappingURL=index.js.map
