import * as pure from '../src/index.js';
import { dhSuite } from './dh-suite.js';

dhSuite('pure', pure);
