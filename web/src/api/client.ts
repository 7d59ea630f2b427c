/**
 * The dashboard's only way to the server: same origin, the API key (when the server asks for one)
 * from the browser session as a Bearer header, errors turned into ApiError whichever of the two
 * envelopes (native `{"error":{code,message}}` or MLflow's `{error_code,message}`) they came in.
 */

const KEY_STORAGE = 'entrenar.apiKey';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type AuthListener = (needed: boolean) => void;
const authListeners = new Set<AuthListener>();

export const auth = {
  key(): string | null {
    return sessionStorage.getItem(KEY_STORAGE);
  },
  setKey(key: string): void {
    sessionStorage.setItem(KEY_STORAGE, key);
    authListeners.forEach((listener) => listener(false));
  },
  clear(): void {
    sessionStorage.removeItem(KEY_STORAGE);
  },
  /** Called with `true` whenever the server refused the request for want of a valid key. */
  onChange(listener: AuthListener): () => void {
    authListeners.add(listener);
    return () => authListeners.delete(listener);
  },
  headers(): Record<string, string> {
    const key = sessionStorage.getItem(KEY_STORAGE);
    return key ? { authorization: `Bearer ${key}` } : {};
  },
};

function queryString(query?: Record<string, string | number | undefined>): string {
  if (!query) {
    return '';
  }
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) {
      params.set(name, String(value));
    }
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

async function errorOf(response: Response): Promise<ApiError> {
  let code = `HTTP_${response.status}`;
  let message = response.statusText || `HTTP ${response.status}`;
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string }; error_code?: string; message?: string };
    if (body.error) {
      code = body.error.code ?? code;
      message = body.error.message ?? message;
    } else if (body.error_code) {
      code = body.error_code;
      message = body.message ?? message;
    }
  } catch {
    // not JSON: keep the status line
  }
  if (response.status === 401) {
    authListeners.forEach((listener) => listener(true));
  }
  return new ApiError(response.status, code, message);
}

/** The raw response of a GET (downloads, previews, streams); throws ApiError unless 2xx. */
export async function apiRaw(path: string, init: RequestInit = {}): Promise<Response> {
  const response = await fetch(path, { ...init, headers: { ...auth.headers(), ...(init.headers as Record<string, string> | undefined) } });
  if (!response.ok) {
    throw await errorOf(response);
  }
  return response;
}

export async function apiGet<T>(path: string, query?: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<T> {
  const response = await apiRaw(`${path}${queryString(query)}`, { signal });
  return (await response.json()) as T;
}

export async function apiPost<T>(path: string, body: unknown, signal?: AbortSignal): Promise<T> {
  const response = await apiRaw(path, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
    signal,
  });
  return (await response.json()) as T;
}

/** `segments` joined as one URL path, each percent-encoded (artifact keys and metric keys may hold `/`). */
export function pathOf(...segments: string[]): string {
  return segments.map((segment) => encodeURIComponent(segment)).join('/');
}
