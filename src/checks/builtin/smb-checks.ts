/**
 * SMB checks, from identification's NEGOTIATE exchanges (SMB2 with every dialect, each dialect
 * alone, and one SMB1 "NT LM 0.12" offer). No session is set up, no credential is sent.
 */
import type { ServiceIdentity } from '../../engines/identify/service-identity.js';
import type { Check, CheckMeta } from '../check.js';
import { makeFinding } from '../check.js';
import { bool, factsOf, isRec, str, strings, type Rec } from '../identity-facts.js';

function smb(identity: ServiceIdentity): Rec | undefined {
  return factsOf(identity, 'smb');
}

const smb1Meta: CheckMeta = {
  id: 'smb-v1-enabled',
  title: 'SMBv1 enabled',
  severity: 'medium',
  safe: true,
  traffic: 'facts',
  description:
    'Fires when the server chose the "NT LM 0.12" dialect with a success status in answer to an SMB1 NEGOTIATE (identification sends it alongside its SMB2 negotiations). SMBv1 has no pre-authentication integrity and is the protocol of EternalBlue/WannaCry (MS17-010).',
  remediation: 'Disable SMB1: Samba `server min protocol = SMB2_10`; Windows `Set-SmbServerConfiguration -EnableSMB1Protocol $false` (or remove the SMB1 feature).',
  references: {
    cwe: ['CWE-477'],
    urls: ['https://learn.microsoft.com/en-us/windows-server/storage/file-server/troubleshoot/detect-enable-and-disable-smbv1-v2-v3', 'https://techcommunity.microsoft.com/t5/storage-at-microsoft/stop-using-smb1/ba-p/425858'],
  },
};

export const smbV1Enabled: Check = {
  ...smb1Meta,
  appliesTo: (identity) => smb(identity) !== undefined,
  async run(target, identity, ctx) {
    const one = smb(identity)?.['smb1'];
    if (!isRec(one) || one['accepted'] !== true) return [];
    const signingRequired = bool(one['signingRequired']);
    return [
      makeFinding(smb1Meta, target, ctx.now(), {
        summary: 'Server negotiates SMB1 (NT LM 0.12)',
        confidence: 'certain',
        evidence: {
          dialect: 'NT LM 0.12',
          detail: str(one['detail'], 200) ?? null,
          ...(signingRequired !== undefined ? { smb1_signing_required: signingRequired } : {}),
        },
      }),
    ];
  },
};

const signingMeta: CheckMeta = {
  id: 'smb-signing-not-required',
  title: 'SMB signing not required',
  severity: 'medium',
  safe: true,
  traffic: 'facts',
  description:
    "Reads the SecurityMode of the server's SMB2 NEGOTIATE response: signing enabled but not required (or not enabled at all) lets a man in the middle relay or alter sessions (NTLM relay). SMB1's own signing flags are reported alongside when SMB1 is on.",
  remediation: 'Require signing: Samba `server signing = mandatory`; Windows "Microsoft network server: Digitally sign communications (always)" = Enabled (RequireSecuritySignature=1).',
  references: { cwe: ['CWE-924'], urls: ['https://learn.microsoft.com/en-us/troubleshoot/windows-server/networking/overview-server-message-block-signing'] },
  cvssVector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:L/A:N',
};

export const smbSigningNotRequired: Check = {
  ...signingMeta,
  appliesTo: (identity) => smb(identity) !== undefined,
  async run(target, identity, ctx) {
    const s = smb(identity);
    if (s === undefined || s['signingRequired'] !== false) return [];
    const one = s['smb1'];
    const smb1Unsigned = isRec(one) && one['accepted'] === true && one['signingRequired'] === false;
    return [
      makeFinding(signingMeta, target, ctx.now(), {
        summary: `SMB ${str(s['dialect'], 16) ?? '2'} signing ${s['signingEnabled'] === true ? 'enabled but not required' : 'not enabled'}`,
        confidence: 'certain',
        evidence: {
          dialect: str(s['dialect'], 16) ?? null,
          dialects_accepted: strings(s['dialectsAccepted'], 10),
          signing_enabled: s['signingEnabled'] === true,
          signing_required: false,
          ...(smb1Unsigned ? { smb1_signing_required: false } : {}),
        },
      }),
    ];
  },
};

export const SMB_CHECKS: readonly Check[] = [smbV1Enabled, smbSigningNotRequired];
