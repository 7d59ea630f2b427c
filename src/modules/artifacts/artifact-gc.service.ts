import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { ArtifactBlobRepository } from './artifact-blob.repository.js';
import { ArtifactStore } from './artifact-store.js';
import { MultipartUploadRepository } from './multipart-upload.repository.js';

/**
 * How long an upload's pending reference protects its blob if the upload dies between
 * committing the blob and recording its row (a crash): far longer than those two steps take.
 */
export const PIN_LEASE_MS = 60 * 60 * 1000;
/** A full pass runs this long after start, then at this interval. */
export const GC_FIRST_PASS_DELAY_MS = 5_000;
export const GC_INTERVAL_MS = 10 * 60 * 1000;
/** Staging files untouched this long belong to uploads that died (a live upload writes continuously). */
export const STALE_STAGING_MS = 60 * 60 * 1000;
/**
 * A completion's claim on a multipart upload younger than this is live (the assembly runs);
 * the same lease MlflowMultipartService gives its claims.
 */
export const MULTIPART_CLAIM_LEASE_MS = 60 * 60 * 1000;
const PASS_BATCH = 500;

export interface GcPassReport {
  /** Blobs deleted from the store. */
  deletedBlobs: number;
  /** Abandoned staging files removed. */
  sweptStagingFiles: number;
  /** Multipart uploads removed with their staged parts: expired, or staging nothing refers to. */
  removedUploads: number;
}

/**
 * Frees artifact blobs nothing refers to.
 *
 * Where it runs: right after each change that can leave a blob unreferenced (an artifact
 * deleted or overwritten, an upload whose metadata could not be recorded), for that blob only;
 * and as a full pass shortly after start and every 10 minutes, which catches what those miss:
 * blobs of uploads that died mid-way (their pending reference expires after an hour), rows
 * removed by cascade (a run or experiment deleted for good), and abandoned staging files. The
 * full pass also removes MLflow multipart uploads not completed or aborted within their day,
 * and staged parts no upload refers to any more (its run deleted for good, a cleanup that
 * failed) once untouched for an hour.
 *
 * Why it is safe against concurrent uploads (on every replica sharing the database): an upload
 * registers a pending reference to its blob's hash before committing the blob and drops it
 * only after its `artifacts` row is in; the collector deletes a blob only inside a transaction
 * holding the blob's registry row locked, after seeing neither a pending reference nor a row
 * (ArtifactBlobRepository.deleteIfUnreferenced).
 */
@Injectable()
export class ArtifactGarbageCollector implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('ArtifactGC');
  private timer?: NodeJS.Timeout;
  private pass?: Promise<GcPassReport>;
  private stopped = false;

  constructor(
    private readonly blobs: ArtifactBlobRepository,
    private readonly store: ArtifactStore,
    private readonly uploads: MultipartUploadRepository,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(GC_FIRST_PASS_DELAY_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.pass?.catch(() => undefined);
  }

  /**
   * Deletes each of these blobs if nothing refers to it any more. Never throws: a blob that
   * could not be deleted now is left for the next full pass. Returns how many were deleted.
   */
  async collect(hashes: Iterable<string>): Promise<number> {
    let deleted = 0;
    for (const hash of new Set(hashes)) {
      if (await this.collectOne(hash)) {
        deleted++;
      }
    }
    return deleted;
  }

  /** One full pass; concurrent calls share the pass under way. */
  collectAll(): Promise<GcPassReport> {
    this.pass ??= this.runPass().finally(() => {
      this.pass = undefined;
    });
    return this.pass;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) {
      return;
    }
    this.timer = setTimeout(() => {
      this.collectAll()
        .catch((error: unknown) => this.logger.error(`garbage collection pass failed: ${String(error)}`))
        .finally(() => this.schedule(GC_INTERVAL_MS));
    }, delayMs);
    this.timer.unref();
  }

  private async runPass(): Promise<GcPassReport> {
    const report: GcPassReport = { deletedBlobs: 0, sweptStagingFiles: 0, removedUploads: 0 };
    let after = '';
    while (!this.stopped) {
      const hashes = await this.blobs.collectableHashes(Date.now(), after, PASS_BATCH);
      report.deletedBlobs += await this.collect(hashes);
      if (hashes.length < PASS_BATCH) {
        break;
      }
      after = hashes[hashes.length - 1];
    }
    if (!this.stopped) {
      report.sweptStagingFiles = await this.store.sweepStaging(STALE_STAGING_MS);
    }
    if (!this.stopped) {
      report.removedUploads = await this.collectUploads();
    }
    if (report.deletedBlobs > 0 || report.sweptStagingFiles > 0 || report.removedUploads > 0) {
      this.logger.log(
        `freed ${report.deletedBlobs} unreferenced blob(s), removed ${report.sweptStagingFiles} abandoned staging file(s) ` +
          `and ${report.removedUploads} expired or abandoned multipart upload(s)`,
      );
    }
    return report;
  }

  /**
   * Multipart uploads whose time is up (the row first, so no part can be recorded after, then
   * the staged parts), then staging areas no upload refers to and nothing wrote to for an hour.
   */
  private async collectUploads(): Promise<number> {
    let removed = 0;
    while (!this.stopped) {
      const expired = await this.uploads.expiredIds(Date.now(), MULTIPART_CLAIM_LEASE_MS, PASS_BATCH);
      for (const uploadId of expired) {
        if (await this.uploads.delete(uploadId)) {
          removed++;
        }
        await this.removeUploadStaging(uploadId);
      }
      if (expired.length < PASS_BATCH) {
        break;
      }
    }
    if (this.stopped) {
      return removed;
    }
    const staged = await this.store.listUploadStaging();
    const known = await this.uploads.existingIds(staged.map((staging) => staging.uploadId));
    const cutoff = Date.now() - STALE_STAGING_MS;
    for (const staging of staged) {
      if (!known.has(staging.uploadId) && staging.lastWrittenMs < cutoff && (await this.removeUploadStaging(staging.uploadId))) {
        removed++;
      }
    }
    return removed;
  }

  private async removeUploadStaging(uploadId: string): Promise<boolean> {
    try {
      await this.store.removeUploadStaging(uploadId);
      return true;
    } catch (error) {
      this.logger.warn(`could not remove the staged parts of upload ${uploadId}; the next pass retries: ${String(error)}`);
      return false;
    }
  }

  private async collectOne(hash: string): Promise<boolean> {
    try {
      return await this.blobs.deleteIfUnreferenced(hash, Date.now(), () => this.store.delete(hash));
    } catch (error) {
      this.logger.warn(`could not collect blob ${hash}; the next pass retries: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }
}
