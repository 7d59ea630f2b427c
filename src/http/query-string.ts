import querystring from 'node:querystring';

/**
 * Express's default ("simple") query parser, node:querystring, without its cap of 1000 keys.
 * Past the cap it drops the rest of the query string without a word, so a request with many
 * repeated keys lost the ones after them: get-history-bulk-interval with 1000 `run_ids` and then
 * `metric_key` was answered "missing metric_key" instead of "at most 100 run_ids". The request
 * target is bounded anyway (Node refuses request heads over --max-http-header-size, 16 KiB by
 * default: a few thousand keys at most), so every key is kept and the routes apply their own
 * limits.
 */
export function parseQueryString(text: string): querystring.ParsedUrlQuery {
  return querystring.parse(text, '&', '=', { maxKeys: 0 });
}
