import * as node from '../src/index.node.js';
import { dhSuite } from './dh-suite.js';

dhSuite('node', node);
