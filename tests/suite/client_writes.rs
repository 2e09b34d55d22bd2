//! The write methods `apply` uses, against the emulator, each checked by reading back.

use crate::client_common;

use client_common::{oid, OrgSpec, Sandbox};
use jcform::jumpcloud::{convert, read_live, Op};
use jcform::model::{
    AdDomain, Delegation, Directory, M365Action, M365Tenant, Subject, UseCase, UserAttrs, UserState,
};

#[tokio::test]
async fn user_lifecycle() {
    let (state, _) = OrgSpec::default().build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let client = sandbox.client();

    let attrs = UserAttrs {
        email: Some("new@example.com".into()),
        firstname: Some("José".into()),
        job_title: Some("Engineer".into()),
        state: Some(UserState::Staged),
        ..Default::default()
    };
    let created = client
        .create_user(convert::user_body("new.user", &attrs, true))
        .await
        .expect("create");
    let id = created.wire.id.clone();
    let live = convert::live_user(&created);
    assert_eq!(live.username, "new.user");
    assert_eq!(live.attrs.job_title.as_deref(), Some("Engineer"));
    assert_eq!(live.attrs.state, Some(UserState::Staged));

    let changed = UserAttrs {
        department: Some("R&D".into()),
        ..Default::default()
    };
    let updated = client
        .update_user(&id, convert::user_body("new.user", &changed, false))
        .await
        .expect("update");
    assert_eq!(updated.wire.department.as_deref(), Some("R&D"));
    assert_eq!(
        updated.wire.job_title.as_deref(),
        Some("Engineer"),
        "PUT leaves other fields alone"
    );

    client
        .set_password(&id, "S3cret!pass-word")
        .await
        .expect("set password");
    client.activate_user(&id, false).await.expect("activate");
    let read = convert::live_user(&client.get_user(&id).await.expect("get"));
    assert_eq!(read.attrs.state, Some(UserState::Active));
    assert!(read.password_set);

    client.suspend_user(&id).await.expect("suspend");
    let read = convert::live_user(&client.get_user(&id).await.expect("get"));
    assert_eq!(read.attrs.state, Some(UserState::Suspended));

    client.delete_user(&id).await.expect("delete");
    assert!(client.get_user(&id).await.expect_err("gone").is_not_found());
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn groups_and_members() {
    let (state, _) = OrgSpec {
        users: 3,
        ..Default::default()
    }
    .build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let client = sandbox.client();

    let group = client
        .create_group(convert::group_body("ops", Some("Operations")))
        .await
        .expect("create");
    let gid = group.wire.id.clone();
    client
        .update_group(&gid, convert::group_body("ops-team", Some("Operations")))
        .await
        .expect("put");
    for u in 0..3 {
        client
            .member_op(&gid, Op::Add, &oid(1, u))
            .await
            .expect("add member");
    }
    // Adding an existing member again converges (idempotent op).
    let again = client.member_op(&gid, Op::Add, &oid(1, 0)).await;
    assert!(
        again.is_ok() || again.as_ref().is_err_and(|e| e.is_conflict()),
        "{again:?}"
    );
    client
        .member_op(&gid, Op::Remove, &oid(1, 1))
        .await
        .expect("remove member");

    let members = client.list_group_members(&gid).await.expect("members");
    assert_eq!(members, vec![oid(1, 0), oid(1, 2)]);
    let read = client.get_group(&gid).await.expect("get");
    assert_eq!(read.wire.name, "ops-team");

    client.delete_group(&gid).await.expect("delete");
    assert!(client
        .get_group(&gid)
        .await
        .expect_err("gone")
        .is_not_found());
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn ad_domains_m365_and_bindings() {
    let (state, _) = OrgSpec {
        users: 2,
        group_sizes: vec![1],
        tenants: vec![(2, 0, 0)],
        ..Default::default()
    }
    .build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let client = sandbox.client();

    let desired = AdDomain {
        domain: "corp.example.com".into(),
        use_case: Some(UseCase::AdAsAuthority),
        delegation: None,
        groups_enabled: Some(true),
    };
    let ad = client
        .create_ad(
            &jcform::model::ad_domain_to_dn(&desired.domain),
            convert::ad_fields(&desired),
        )
        .await
        .expect("create AD");
    let ad_id = ad.wire.id.clone();
    let patch = AdDomain {
        delegation: Some(Delegation::Enabled),
        ..Default::default()
    };
    client
        .patch_ad(&ad_id, convert::ad_fields(&patch))
        .await
        .expect("patch AD");
    let read = convert::live_ad(&client.get_ad(&ad_id).await.expect("get AD"), &[]);
    assert_eq!(read.domain, "corp.example.com");
    assert_eq!(
        (read.use_case, read.delegation, read.groups_enabled),
        (UseCase::AdAsAuthority, Delegation::Enabled, true)
    );

    let tenant_id = oid(5, 0);
    let live_tenant = read_live(&client).await.expect("read").m365_tenants[&tenant_id].clone();
    let desired = M365Tenant {
        id: tenant_id.clone(),
        default_domain: Some("t0-d1.example.com".into()),
        user_lockout_action: Some(M365Action::Maintain),
        ..Default::default()
    };
    let body = convert::m365_patch(&desired, &live_tenant).expect("domain known");
    client
        .patch_m365(&tenant_id, body)
        .await
        .expect("patch tenant");

    let ad_dir = Directory::AdDomain(ad_id.clone());
    let m365_dir = Directory::M365Tenant(tenant_id.clone());
    client
        .association_op(&ad_dir, Op::Add, &Subject::User(oid(1, 0)))
        .await
        .expect("bind user");
    client
        .association_op(&ad_dir, Op::Add, &Subject::Group(oid(2, 0)))
        .await
        .expect("bind group");
    client
        .association_op(&m365_dir, Op::Add, &Subject::User(oid(1, 1)))
        .await
        .expect("bind user to M365");
    client
        .association_op(&ad_dir, Op::Remove, &Subject::User(oid(1, 0)))
        .await
        .expect("unbind");

    let live = read_live(&client).await.expect("read");
    let tenant = &live.m365_tenants[&tenant_id];
    assert_eq!(tenant.default_domain.as_deref(), Some("t0-d1.example.com"));
    assert_eq!(tenant.user_lockout_action, Some(M365Action::Maintain));
    let bindings: Vec<_> = live.bindings.iter().cloned().collect();
    assert_eq!(bindings.len(), 2, "{bindings:?}");
    assert!(live
        .bindings
        .iter()
        .any(|b| b.directory == ad_dir && b.subject == Subject::Group(oid(2, 0))));
    assert!(live
        .bindings
        .iter()
        .any(|b| b.directory == m365_dir && b.subject == Subject::User(oid(1, 1))));

    let user_edges = client
        .list_user_associations(&oid(1, 1), "office_365")
        .await
        .expect("user edges");
    assert_eq!(user_edges.len(), 1);
    let effective = client
        .list_directory_users(&ad_dir)
        .await
        .expect("effective users");
    assert_eq!(effective.len(), 1, "user 0 through the bound group");

    client.delete_ad(&ad_id).await.expect("delete AD");
    assert!(client
        .get_ad(&ad_id)
        .await
        .expect_err("gone")
        .is_not_found());
    sandbox.emulator.shutdown().await;
}

#[tokio::test]
async fn delegated_authority_round_trip() {
    let (state, _) = OrgSpec {
        users: 1,
        ads: vec![(1, 1, 0)],
        ..Default::default()
    }
    .build();
    let sandbox = Sandbox::start(&state, |_| {}).await;
    let client = sandbox.client();
    let (uid, ad_id) = (oid(1, 0), oid(3, 0));

    client
        .update_user(&uid, convert::delegated_authority_body(Some(&ad_id)))
        .await
        .expect("delegate");
    let read = convert::live_user(&client.get_user(&uid).await.expect("get"));
    assert_eq!(read.delegated_authority.as_deref(), Some(ad_id.as_str()));

    client
        .update_user(&uid, convert::delegated_authority_body(None))
        .await
        .expect("undelegate");
    let read = convert::live_user(&client.get_user(&uid).await.expect("get"));
    assert_eq!(read.delegated_authority, None);
    sandbox.emulator.shutdown().await;
}
