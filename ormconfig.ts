// The DataSource of the TypeORM CLI (`npm run migration:run|revert|show`), built from the same
// settings as the server: ENTRENAR_DATABASE_URL, or the SQLite file under ENTRENAR_DATA_DIR.
import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { resolveServerConfig, settingsFromEnvironment } from './src/config/load-config.js';
import { dataSourceOptions } from './src/database/data-source.js';
import { databaseSettings } from './src/database/database-settings.js';

export default new DataSource(dataSourceOptions(databaseSettings(resolveServerConfig(settingsFromEnvironment()))));
