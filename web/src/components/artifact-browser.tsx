import { useEffect, useState } from 'react';
import type { Artifact } from '../api/types';
import {
  baseName,
  CSV_PREVIEW_ROWS,
  folderTrail,
  IMAGE_PREVIEW_BYTES,
  imageType,
  JSON_PREVIEW_BYTES,
  previewKind,
  TEXT_PREVIEW_BYTES,
  type PreviewKind,
} from '../data/artifacts';
import { parseCsv } from '../data/csv';
import { formatBytes, formatDateTime } from '../data/format';
import { downloadArtifact, fetchArtifact, fetchArtifacts } from '../data/run-api';

interface Listing {
  prefix: string;
  artifacts: Artifact[];
  folders: string[];
  nextPageToken?: string;
}

type Preview =
  | { kind: 'loading'; key: string }
  | { kind: 'error'; key: string; message: string }
  | { kind: 'text'; key: string; text: string; truncated: boolean }
  | { kind: 'json'; key: string; text: string }
  | { kind: 'csv'; key: string; rows: string[][]; truncated: boolean }
  | { kind: 'image'; key: string; url: string }
  | { kind: 'too-large'; key: string };

/** Loads the preview of one artifact: at most TEXT_PREVIEW_BYTES of text, whole JSON and images within their limits. */
async function loadPreview(runId: string, artifact: Artifact, kind: PreviewKind, signal: AbortSignal): Promise<Preview> {
  const { key, size_bytes: size } = artifact;
  if (kind === 'image') {
    if (size > IMAGE_PREVIEW_BYTES) {
      return { kind: 'too-large', key };
    }
    const blob = await fetchArtifact(runId, key, undefined, signal);
    const typed = new Blob([blob], { type: imageType(key, artifact.content_type) });
    return { kind: 'image', key, url: URL.createObjectURL(typed) };
  }
  if (kind === 'json' && size <= JSON_PREVIEW_BYTES) {
    const text = await (await fetchArtifact(runId, key, undefined, signal)).text();
    try {
      return { kind: 'json', key, text: JSON.stringify(JSON.parse(text), null, 2) };
    } catch {
      return { kind: 'text', key, text, truncated: false };
    }
  }
  const truncated = size > TEXT_PREVIEW_BYTES;
  const blob = await fetchArtifact(runId, key, truncated ? TEXT_PREVIEW_BYTES : undefined, signal);
  const text = await blob.text();
  if (kind === 'csv') {
    return { kind: 'csv', key, rows: parseCsv(text, { maxRows: CSV_PREVIEW_ROWS + 1, truncated }), truncated };
  }
  return { kind: 'text', key, text, truncated };
}

/**
 * The run's artifacts one folder at a time (breadcrumbs to go back up), with sizes, a download
 * button per file and previews of text, JSON, CSV and images.
 */
export function ArtifactBrowser({ runId, refresh = 0 }: { runId: string; refresh?: number }) {
  const [prefix, setPrefix] = useState('');
  const [listing, setListing] = useState<Listing | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<Artifact | null>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [downloadError, setDownloadError] = useState<string | null>(null);

  useEffect(() => {
    const controller = new AbortController();
    fetchArtifacts(runId, prefix, undefined, controller.signal).then(
      (page) => {
        setListing({ prefix, artifacts: page.artifacts, folders: page.folders ?? [], nextPageToken: page.next_page_token });
        setError(null);
      },
      (reason: unknown) => {
        if (!controller.signal.aborted) {
          setError(reason instanceof Error ? reason.message : String(reason));
        }
      },
    );
    return () => controller.abort();
  }, [runId, prefix, refresh]);

  useEffect(() => {
    if (!selected) {
      setPreview(null);
      return;
    }
    const kind = previewKind(selected.key, selected.content_type);
    if (kind === 'none') {
      setPreview(null);
      return;
    }
    const controller = new AbortController();
    let current: Preview | null = null;
    setPreview({ kind: 'loading', key: selected.key });
    loadPreview(runId, selected, kind, controller.signal).then(
      (loaded) => {
        current = loaded;
        if (controller.signal.aborted) {
          if (loaded.kind === 'image') {
            URL.revokeObjectURL(loaded.url);
          }
          return;
        }
        setPreview(loaded);
      },
      (reason: unknown) => {
        if (!controller.signal.aborted) {
          setPreview({ kind: 'error', key: selected.key, message: reason instanceof Error ? reason.message : String(reason) });
        }
      },
    );
    return () => {
      controller.abort();
      if (current?.kind === 'image') {
        URL.revokeObjectURL(current.url);
      }
    };
  }, [runId, selected]);

  const loadMore = (): void => {
    if (!listing?.nextPageToken) {
      return;
    }
    fetchArtifacts(runId, listing.prefix, listing.nextPageToken).then(
      (page) =>
        setListing((previous) =>
          previous && previous.prefix === listing.prefix
            ? {
                prefix: previous.prefix,
                artifacts: [...previous.artifacts, ...page.artifacts],
                folders: [...previous.folders, ...(page.folders ?? [])],
                nextPageToken: page.next_page_token,
              }
            : previous,
        ),
      (reason: unknown) => setError(reason instanceof Error ? reason.message : String(reason)),
    );
  };

  const open = (folder: string): void => {
    setPrefix(folder);
    setSelected(null);
  };

  const download = (artifact: Artifact): void => {
    setDownloadError(null);
    downloadArtifact(runId, artifact.key).catch((reason: unknown) =>
      setDownloadError(`${baseName(artifact.key)}: ${reason instanceof Error ? reason.message : String(reason)}`),
    );
  };

  const trail = folderTrail(prefix);
  const empty = listing && listing.prefix === prefix && listing.artifacts.length === 0 && listing.folders.length === 0;
  return (
    <section className="artifacts" aria-labelledby="artifacts-title" data-testid="artifact-browser" data-prefix={prefix}>
      <h2 id="artifacts-title">Artifacts</h2>
      <nav aria-label="Artifact folders" className="breadcrumbs">
        {trail.map((crumb, index) =>
          index === trail.length - 1 ? (
            <span key={crumb.prefix} aria-current="location">
              {crumb.label}
            </span>
          ) : (
            <span key={crumb.prefix}>
              <button type="button" className="link-button" onClick={() => open(crumb.prefix)}>
                {crumb.label}
              </button>
              <span className="muted"> / </span>
            </span>
          ),
        )}
      </nav>
      {error ? <p className="error-text">Could not list artifacts: {error}</p> : null}
      {downloadError ? <p className="error-text">Could not download {downloadError}</p> : null}
      <div className="artifacts-layout">
        <div className="artifacts-list">
          {empty ? (
            <p className="muted">{prefix ? 'This folder is empty.' : 'No artifacts logged for this run.'}</p>
          ) : (
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col">Logged</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {listing?.folders.map((folder) => (
                  <tr key={folder} data-testid="artifact-folder">
                    <td colSpan={4}>
                      <button type="button" className="link-button" onClick={() => open(folder)}>
                        <span aria-hidden="true">▸ </span>
                        {baseName(folder)}/
                      </button>
                    </td>
                  </tr>
                ))}
                {listing?.artifacts.map((artifact) => {
                  const kind = previewKind(artifact.key, artifact.content_type);
                  const name = baseName(artifact.key);
                  return (
                    <tr
                      key={artifact.key}
                      data-testid="artifact-row"
                      data-key={artifact.key}
                      className={selected?.key === artifact.key ? 'selected' : undefined}
                    >
                      <td>
                        {kind === 'none' ? (
                          <span>{name}</span>
                        ) : (
                          <button
                            type="button"
                            className="link-button"
                            aria-label={`Preview ${name}`}
                            onClick={() => setSelected(artifact)}
                          >
                            {name}
                          </button>
                        )}
                      </td>
                      <td className="num mono">{formatBytes(artifact.size_bytes)}</td>
                      <td className="muted">{formatDateTime(artifact.created_at)}</td>
                      <td>
                        <button type="button" className="small" aria-label={`Download ${name}`} onClick={() => download(artifact)}>
                          Download
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
          {listing?.nextPageToken ? (
            <button type="button" onClick={loadMore}>
              Load more
            </button>
          ) : null}
        </div>
        {selected ? <PreviewPanel artifact={selected} preview={preview} onClose={() => setSelected(null)} /> : null}
      </div>
    </section>
  );
}

function PreviewPanel({ artifact, preview, onClose }: { artifact: Artifact; preview: Preview | null; onClose: () => void }) {
  const name = baseName(artifact.key);
  return (
    <section
      className="artifact-preview"
      aria-label={`Preview of ${name}`}
      data-testid="artifact-preview"
      data-kind={preview?.kind ?? 'none'}
    >
      <div className="artifact-preview-head">
        <strong className="mono">{artifact.key}</strong>
        <span className="muted">
          {formatBytes(artifact.size_bytes)} · {artifact.content_type}
        </span>
        <button type="button" className="small" onClick={onClose} aria-label="Close preview">
          ✕
        </button>
      </div>
      <PreviewBody preview={preview} name={name} />
    </section>
  );
}

function PreviewBody({ preview, name }: { preview: Preview | null; name: string }) {
  if (!preview) {
    return <p className="muted">No preview for this kind of file; download it instead.</p>;
  }
  switch (preview.kind) {
    case 'loading':
      return <p className="muted">Loading…</p>;
    case 'error':
      return <p className="error-text">Could not load the preview: {preview.message}</p>;
    case 'too-large':
      return <p className="muted">Too large to preview; download it instead.</p>;
    case 'image':
      return <img className="artifact-image" src={preview.url} alt={name} />;
    case 'json':
      return <pre className="artifact-text">{preview.text}</pre>;
    case 'text':
      return (
        <>
          <pre className="artifact-text">{preview.text}</pre>
          {preview.truncated ? <p className="muted small-text">Only the first {TEXT_PREVIEW_BYTES / 1024} KiB are shown.</p> : null}
        </>
      );
    case 'csv': {
      const [header, ...rows] = preview.rows;
      const shown = rows.slice(0, CSV_PREVIEW_ROWS);
      return (
        <div className="artifact-csv">
          <table className="data-table">
            <thead>
              <tr>
                {header?.map((cell, index) => (
                  <th key={index}>{cell}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {shown.map((row, rowIndex) => (
                <tr key={rowIndex}>
                  {row.map((cell, index) => (
                    <td key={index}>{cell}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
          {rows.length > CSV_PREVIEW_ROWS || preview.truncated ? (
            <p className="muted small-text">The first {shown.length} rows are shown.</p>
          ) : null}
        </div>
      );
    }
  }
}
