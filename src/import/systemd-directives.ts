// What becomes of the directives of a timer or service that no job field
// takes: skipped (they mean nothing once cronkeeper runs the command) or not
// carried over, each kind with the reason and what to do instead. The
// directives a job is made of are read in systemd.ts and systemd-service.ts.
// Pure.
import type { NoteOutcome } from './import-notes.js';

export interface DirectiveFate {
  outcome: Extract<NoteOutcome, 'skipped' | 'unsupported'>;
  message?: string;
}

/** [Unit] and [Install] keys that describe or order a unit: nothing to carry over. */
const DESCRIPTIVE = new Set([
  'Description',
  'Documentation',
  'SourcePath',
  'DefaultDependencies',
  'RefuseManualStart',
  'RefuseManualStop',
  'AllowIsolate',
  'IgnoreOnIsolate',
  'CollectMode',
  'StopWhenUnneeded',
]);

const DEPENDENCIES = new Set([
  'After',
  'Before',
  'Wants',
  'Requires',
  'Requisite',
  'BindsTo',
  'PartOf',
  'Upholds',
  'Conflicts',
  'RequiresMountsFor',
  'WantsMountsFor',
  'JoinsNamespaceOf',
  'PropagatesReloadTo',
  'ReloadPropagatedFrom',
  'PropagatesStopTo',
  'StopPropagatedFrom',
]);

const LOGGING =
  /^(?:StandardInput|StandardOutput|StandardError|StandardInputText|StandardInputData|SyslogIdentifier|SyslogFacility|SyslogLevel|SyslogLevelPrefix|LogLevelMax|LogExtraFields|LogRateLimitIntervalSec|LogRateLimitBurst|LogFilterPatterns|LogNamespace|TTYPath)$/;
const RESOURCES =
  /^(?:Nice|IOSchedulingClass|IOSchedulingPriority|CPUSchedulingPolicy|CPUSchedulingPriority|CPUSchedulingResetOnFork|CPUAffinity|NUMAPolicy|NUMAMask|OOMScoreAdjust|OOMPolicy|TimerSlackNSec|Limit[A-Z]+|CPU[A-Za-z]+|Memory[A-Za-z]+|IO[A-Za-z]+|Tasks[A-Za-z]+|Slice|Delegate|ManagedOOM[A-Za-z]+|Startup[A-Za-z]+|AllowedCPUs|AllowedMemoryNodes|BlockIO[A-Za-z]+|Device(?:Allow|Policy))$/;
const SANDBOX =
  /^(?:Protect[A-Za-z]+|Private[A-Za-z]+|Restrict[A-Za-z]+|NoNewPrivileges|CapabilityBoundingSet|AmbientCapabilities|SecureBits|SystemCall[A-Za-z]+|ReadWritePaths|ReadOnlyPaths|InaccessiblePaths|ExecPaths|NoExecPaths|TemporaryFileSystem|BindPaths|BindReadOnlyPaths|MountFlags|MountAPIVFS|LockPersonality|MemoryDenyWriteExecute|RemoveIPC|KeyringMode|ProcSubset|SELinuxContext[A-Za-z]*|AppArmorProfile|SmackProcessLabel|IPAddress(?:Allow|Deny)|IPAccounting|IPIngressFilterPath|IPEgressFilterPath|SocketBind(?:Allow|Deny)|NetworkNamespacePath|IPCNamespacePath|RootImage[A-Za-z]*|RootHash[A-Za-z]*|RootVerity|RootDirectory|MountImages|ExtensionImages|ExtensionDirectories|NotifyAccess|UMask|Personality|DynamicUser|SupplementaryGroups|PAMName|LoadCredential[A-Za-z]*|SetCredential[A-Za-z]*|ImportCredential)$/;
const DIRECTORIES =
  /^(?:State|Cache|Logs|Runtime|Configuration)Directory(?:Mode)?$|^RuntimeDirectoryPreserve$/;

/**
 * The fate of a [Unit], [Service] or [Install] directive that no job field
 * takes, or undefined for one the caller reads itself.
 */
export function directiveFate(section: string, key: string, value: string): DirectiveFate | undefined {
  if (section === 'Install' || key.startsWith('X-') || DESCRIPTIVE.has(key)) return { outcome: 'skipped' };
  if (section === 'Unit') {
    if (DEPENDENCIES.has(key)) {
      return {
        outcome: 'unsupported',
        message: 'cronkeeper starts the command alone: the units named are neither started nor waited for',
      };
    }
    if (/^(?:Condition|Assert)/.test(key)) {
      return {
        outcome: 'unsupported',
        message:
          'not checked: the command runs whatever this condition says (test it in the command if it matters)',
      };
    }
    if (key === 'OnFailure' || key === 'OnSuccess') {
      return {
        outcome: 'unsupported',
        message: `starts a unit: give the job an ${key === 'OnFailure' ? 'onFailure' : 'onSuccess'} hook with its command instead`,
      };
    }
    if (/^StartLimit/.test(key) || key === 'JobTimeoutSec' || key === 'JobRunningTimeoutSec') {
      return {
        outcome: 'skipped',
        message: "a limit on systemd's start jobs: no counterpart, nothing to do",
      };
    }
  }
  if (section !== 'Service') return undefined;
  if (LOGGING.test(key)) {
    return {
      outcome: 'unsupported',
      message: "the output goes to cronkeeper's log and the run ledger ('cronkeeper logs JOB')",
    };
  }
  // A protection or limit switched off asks for nothing.
  const off = /^(?:no|false|off|0)$/i.test(value.trim());
  if (SANDBOX.test(key)) {
    if (off) return { outcome: 'skipped' };
    return {
      outcome: 'unsupported',
      message: "sandboxing and credentials: cronkeeper runs the command as the daemon's user, without them",
    };
  }
  if (RESOURCES.test(key)) {
    return {
      outcome: 'unsupported',
      message:
        'no resource settings in cronkeeper: start the command with nice, ionice or prlimit, or under systemd-run',
    };
  }
  if (DIRECTORIES.test(key)) {
    return {
      outcome: 'unsupported',
      message:
        'systemd made the directory and set its variable for the service: create it beforehand and set env: yourself',
    };
  }
  return undefined;
}

/** A directive of [Unit] or [Service] that nothing above names. */
export const UNKNOWN_DIRECTIVE: DirectiveFate = {
  outcome: 'unsupported',
  message: 'not carried over: cronkeeper has no counterpart',
};
