import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** One metric key of one run, with its latest point kept current at ingestion. */
@Entity('metric_series')
export class MetricSeriesEntity {
  @PrimaryGeneratedColumn() id!: number;
  @Column({ type: 'bigint' }) run_id!: number;
  @Column({ type: 'text' }) key!: string;
  @Column({ type: 'bigint', default: 0 }) point_count!: number;
  @Column({ type: 'bigint', nullable: true }) last_step!: number | null;
  @Column({ type: 'bigint', nullable: true }) last_timestamp!: number | null;
  @Column({ type: 'double precision', nullable: true }) last_value!: number | null;
  @Column({ type: 'smallint', nullable: true }) last_is_nan!: number | null;
}

/** One logged point; NaN is stored as value 0 with is_nan 1 because SQLite cannot hold NaN. */
@Entity('metric_points')
export class MetricPointEntity {
  @Column({ type: 'bigint', primary: true }) series_id!: number;
  @Column({ type: 'bigint', primary: true }) step!: number;
  @Column({ type: 'bigint', primary: true }) timestamp!: number;
  @Column({ type: 'double precision', primary: true }) value!: number;
  @Column({ type: 'smallint', primary: true, default: 0 }) is_nan!: number;
}
