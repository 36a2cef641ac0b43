import * as api from 'indeependence';
import { Autoencoder } from 'indeependence';
import exercise from './exercise.cjs';

if (Autoencoder !== api.Autoencoder) throw new Error('named and namespace imports differ');
await exercise(api, 'ES module import');
