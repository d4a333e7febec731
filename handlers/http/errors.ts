/** Every error answer has one shape: `{"error": {"code", "message"}}`, the message naming the field and what is allowed. */
export interface ErrorBody {
  readonly error: { readonly code: string; readonly message: string };
}

export const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } });
