import { render } from 'preact';
import './styles.css';
import { LiveClient } from './api/live';
import { App } from './app';
import { DashboardStore } from './state/dashboard-store';

const live = new LiveClient();
const store = new DashboardStore();
store.start(live);
live.start();

const root = document.getElementById('app');
if (root === null) throw new Error('index.html has no #app element');
render(<App services={{ store, live }} />, root);
